using System.Text.Json;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Producers;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Gateway.Tests;

/// <summary>The gateway with its DynamoDB idempotency store on the DynamoDB emulator.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class IdempotencyTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly Amazon.DynamoDBv2.IAmazonDynamoDB _dynamo = aws.Clients.CreateDynamoDBClient();
    private readonly string _table = LocalAwsFixture.UniqueName("sfn-idem");
    private readonly FaultInjectingKinesis _kinesis = FaultInjectingKinesis.OnTempFolder();

    public async Task InitializeAsync()
    {
        await DynamoDbIdempotencyStore.CreateTableAsync(_dynamo, _table);
        await _kinesis.CreateStreamAsync(new CreateStreamRequest("s", 2));
    }

    public async Task DisposeAsync() => await _dynamo.DeleteTableAsync(_table);

    public void Dispose()
    {
        _dynamo.Dispose();
        _kinesis.Dispose();
    }

    [Fact]
    public async Task SameRequestTwice_WritesOnceAndAnswersTheOriginalResults()
    {
        var gateway = Gateway();
        const string body = """{"records":[{"partitionKey":"a","data":1,"idempotencyKey":"order-1"},{"partitionKey":"b","data":2,"idempotencyKey":"order-2"},{"partitionKey":"a","data":1,"idempotencyKey":"order-1"}]}""";

        var first = await PostAsync(gateway, body);
        var second = await PostAsync(gateway, body);

        Assert.Equal(2, await CountAsync());
        var firstRecords = first.GetProperty("records").EnumerateArray().ToList();
        var secondRecords = second.GetProperty("records").EnumerateArray().ToList();
        Assert.False(firstRecords[0].TryGetProperty("duplicate", out _));
        Assert.True(firstRecords[2].GetProperty("duplicate").GetBoolean());
        Assert.Equal(firstRecords[0].GetProperty("sequenceNumber").GetString(), firstRecords[2].GetProperty("sequenceNumber").GetString());
        for (var i = 0; i < 3; i++)
        {
            Assert.True(secondRecords[i].GetProperty("duplicate").GetBoolean());
            Assert.Equal(firstRecords[i].GetProperty("sequenceNumber").GetString(), secondRecords[i].GetProperty("sequenceNumber").GetString());
            Assert.Equal(firstRecords[i].GetProperty("shardId").GetString(), secondRecords[i].GetProperty("shardId").GetString());
        }
    }

    [Fact]
    public async Task KeyReusedForOtherData_IsAPerRecordErrorAndNotWritten()
    {
        var gateway = Gateway();
        await PostAsync(gateway, """{"records":[{"partitionKey":"a","data":1,"idempotencyKey":"k"}]}""");

        var reused = await PostAsync(gateway, """{"records":[{"partitionKey":"a","data":2,"idempotencyKey":"k"}]}""");

        Assert.Equal(1, reused.GetProperty("failedRecordCount").GetInt32());
        Assert.Equal("IdempotencyKeyReused", reused.GetProperty("records")[0].GetProperty("errorCode").GetString());
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task FailedWrite_ReleasesTheKeySoARetryWritesIt()
    {
        var gateway = Gateway(maxAttempts: 1);
        _kinesis.PutRecordsEntryFault = _ => "InternalFailure";
        var failed = await PostAsync(gateway, """{"records":[{"partitionKey":"a","data":1,"idempotencyKey":"retry-me"}]}""");
        Assert.Equal("InternalFailure", failed.GetProperty("records")[0].GetProperty("errorCode").GetString());

        _kinesis.PutRecordsEntryFault = null;
        var retried = await PostAsync(gateway, """{"records":[{"partitionKey":"a","data":1,"idempotencyKey":"retry-me"}]}""");

        Assert.Equal(0, retried.GetProperty("failedRecordCount").GetInt32());
        Assert.False(retried.GetProperty("records")[0].TryGetProperty("duplicate", out _));
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task ConcurrentClaims_OnlyOneWins()
    {
        var store = new DynamoDbIdempotencyStore(_dynamo, _table, TimeSpan.FromMinutes(5));

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.ClaimAsync("race", "h", TimeSpan.FromMinutes(1))));

        Assert.Single(claims, c => c.Status == IdempotencyStatus.Claimed);
        Assert.All(claims.Where(c => c.Status != IdempotencyStatus.Claimed), c => Assert.Equal(IdempotencyStatus.InProgress, c.Status));
    }

    private GatewayService Gateway(int maxAttempts = 10) => new(
        new KinesisRecordProducer(_kinesis, "s", new KinesisProducerOptions { MaxAttempts = maxAttempts, BaseDelay = TimeSpan.FromMilliseconds(1) }),
        new GatewayAuthorizer(GatewayAuthMode.Iam),
        new DynamoDbIdempotencyStore(_dynamo, _table, TimeSpan.FromMinutes(60)));

    private static async Task<JsonElement> PostAsync(GatewayService gateway, string body)
    {
        var response = await gateway.HandleAsync(GatewayFunctionTests.Request(body), TimeProvider.System.GetUtcNow().AddSeconds(30));
        Assert.Equal(200, response.StatusCode);
        return JsonDocument.Parse(response.Body!).RootElement.Clone();
    }

    private async Task<int> CountAsync() => (await StreamContents.ReadAllAsync(_kinesis, "s")).Count;
}
