using System.Text;
using System.Text.Json;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.ApiGateway;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Faults;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Gateway.Tests;

/// <summary>
/// The Gateway function as Lambda runs it (its bootstrap under the Runtime API protocol) against the
/// Kinesis emulator, behind a proxy that fails 30% of the records twice each: every record ends written
/// exactly once, in order per partition key.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class GatewayFunctionTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private const int Keys = 25;
    private const int Requests = 4;
    private const int RecordsPerRequest = 250;
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);
    private readonly string _stream = LocalAwsFixture.UniqueName("sfn-gateway");

    public async Task InitializeAsync()
    {
        await _kinesis.CreateActiveAsync(_stream, 4);
    }

    public async Task DisposeAsync() => await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(_stream));

    public void Dispose() => _kinesis.Dispose();

    [Trait(TestCategories.Suite, TestCategories.Faults)]
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Gateway_ThirtyPercentOfRecordsFailTwice_EveryRecordWrittenOnceInKeyOrder(bool aggregate)
    {
        using var proxy = new KinesisFaultProxy(aws.Settings.GetEndpoint(Aws.AwsService.Kinesis)!, failFraction: 0.3, failuresPerRecord: 2, seed: aggregate ? 11 : 7);
        await using var function = Gateway(proxy, aggregate);
        var sent = 0;
        for (var r = 0; r < Requests; r++)
        {
            var body = new StringBuilder("{\"records\":[");
            for (var i = 0; i < RecordsPerRequest; i++, sent++)
            {
                body.Append(i == 0 ? string.Empty : ",").Append($$$"""{"partitionKey":"key-{{{sent % Keys}}}","data":{"key":{{{sent % Keys}}},"n":{{{sent}}}}}""");
            }

            var response = await PostAsync(function, body.Append("]}").ToString());

            Assert.Equal(200, response.StatusCode);
            using var answer = JsonDocument.Parse(response.Body!);
            Assert.Equal(0, answer.RootElement.GetProperty("failedRecordCount").GetInt32());
            Assert.Equal(RecordsPerRequest, answer.RootElement.GetProperty("records").GetArrayLength());
        }

        // Without aggregation every user record is a Kinesis record; with it, the aggregates (one per shard and call) fail.
        var expected = aggregate ? 2 : Requests * RecordsPerRequest * 0.3 * 2 * 0.8;
        Assert.True(proxy.InjectedFailures >= expected, $"only {proxy.InjectedFailures} failures were injected");
        var stored = await ReadAllAsync();
        Assert.Equal(Enumerable.Range(0, sent), stored.Select(s => s.N).Order());
        foreach (var key in stored.GroupBy(s => s.Key))
        {
            var inStreamOrder = key.Select(s => s.N).ToList();
            Assert.Equal(inStreamOrder.Order(), inStreamOrder);
        }
    }

    [Fact]
    public async Task Gateway_BadRecord_Is400NamingItAndWritesNothing()
    {
        using var proxy = new KinesisFaultProxy(aws.Settings.GetEndpoint(Aws.AwsService.Kinesis)!, 0, 0, 0);
        await using var function = Gateway(proxy, aggregate: false);

        var response = await PostAsync(function, """{"records":[{"partitionKey":"a","data":1},{"partitionKey":"","data":2}]}""");

        Assert.Equal(400, response.StatusCode);
        using var answer = JsonDocument.Parse(response.Body!);
        var error = Assert.Single(answer.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(1, error.GetProperty("recordIndex").GetInt32());
        Assert.Equal("partitionKey.length", error.GetProperty("rule").GetString());
        Assert.Empty(await ReadAllAsync());
    }

    [Fact]
    public async Task Gateway_UnsignedRequest_IsRefusedByDefault()
    {
        using var proxy = new KinesisFaultProxy(aws.Settings.GetEndpoint(Aws.AwsService.Kinesis)!, 0, 0, 0);
        await using var function = Gateway(proxy, aggregate: false);
        var request = Request("""{"records":[{"partitionKey":"a","data":1}]}""");
        request.RequestContext!.Authorizer = null;

        var result = await function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(request, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest));

        var response = JsonSerializer.Deserialize(result.Payload.Span, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse)!;
        Assert.Equal(403, response.StatusCode);
        Assert.Empty(await ReadAllAsync());
    }

    private ProcessLambdaInvoker Gateway(KinesisFaultProxy proxy, bool aggregate)
    {
        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>())
        {
            ["AWS_ENDPOINT_URL_KINESIS"] = proxy.Endpoint.ToString(),
            ["STREAM_NAME"] = _stream,
            ["KINESIS_AGGREGATE"] = aggregate ? "true" : "false",
        };
        return new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Gateway"), new LocalFunctionOptions { FunctionName = "Gateway", Timeout = TimeSpan.FromSeconds(60), Environment = environment });
    }

    internal static APIGatewayHttpApiV2ProxyRequest Request(string body) => new()
    {
        Version = "2.0",
        RouteKey = "POST /records",
        RawPath = "/records",
        Headers = new Dictionary<string, string> { ["content-type"] = "application/json" },
        Body = body,
        RequestContext = new APIGatewayHttpApiV2ProxyRequest.ProxyRequestContext
        {
            Http = new APIGatewayHttpApiV2ProxyRequest.HttpDescription { Method = "POST", Path = "/records" },
            Authorizer = new APIGatewayHttpApiV2ProxyRequest.AuthorizerDescription
            {
                Iam = new APIGatewayHttpApiV2ProxyRequest.IamDescription { AccessKey = "AKIAEXAMPLE", UserArn = "arn:aws:iam::123456789012:user/producer" },
            },
        },
    };

    private static async Task<APIGatewayHttpApiV2ProxyResponse> PostAsync(ProcessLambdaInvoker function, string body)
    {
        var result = await function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(Request(body), LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest));
        Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
        return JsonSerializer.Deserialize(result.Payload.Span, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse)!;
    }

    // Every user record in the stream, de-aggregated, in stream order per shard.
    private async Task<List<(int Key, int N)>> ReadAllAsync()
    {
        var found = new List<(int Key, int N)>();
        foreach (var record in await StreamContents.ReadAllAsync(_kinesis, _stream))
        {
            var users = new List<UserRecord>();
            KplDeaggregator.Deaggregate(record.Data, RecordKey.FromString(record.PartitionKey), users);
            foreach (var user in users)
            {
                using var json = JsonDocument.Parse(user.Data);
                found.Add((json.RootElement.GetProperty("key").GetInt32(), json.RootElement.GetProperty("n").GetInt32()));
            }
        }

        return found;
    }
}
