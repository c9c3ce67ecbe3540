using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using StreamFunctions.Aws.Kinesis.Exceptions;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Aws.Kinesis.Tests;

public sealed class KinesisClientTests : IDisposable
{
    private static readonly KinesisClientOptions FastRetries = new() { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2), MaxAttempts = 3 };
    private readonly ScriptedKinesisHandler _handler = new();
    private readonly HttpClient _http;

    public KinesisClientTests() => _http = new HttpClient(_handler);

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task PutRecords_Request_IsTheJson11WireFormat()
    {
        _handler.Respond(HttpStatusCode.OK, """{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}""");
        using var client = CreateSut();

        await client.PutRecordsAsync(new PutRecordsRequest("s", [new PutRecordsRequestEntry(new byte[] { 1, 2, 3 }, "pk", "42")]));

        var (target, body) = Assert.Single(_handler.Sent);
        Assert.Equal("Kinesis_20131202.PutRecords", target);
        Assert.Equal("""{"StreamName":"s","Records":[{"Data":"AQID","PartitionKey":"pk","ExplicitHashKey":"42"}]}""", body);
    }

    [Fact]
    public async Task GetShardIterator_StreamGivenByArn_IsSentAsStreamArn()
    {
        // A stream of another account is reachable only by its ARN (Kinesis's StreamARN parameter).
        _handler.Respond(HttpStatusCode.OK, """{"ShardIterator":"it"}""");
        using var client = CreateSut();

        await client.GetShardIteratorAsync(new GetShardIteratorRequest("arn:aws:kinesis:us-east-2:999999999999:stream/mystream", "shardId-000000000000", ShardIteratorType.TrimHorizon));

        var (target, body) = Assert.Single(_handler.Sent);
        Assert.Equal("Kinesis_20131202.GetShardIterator", target);
        Assert.Equal("""{"StreamARN":"arn:aws:kinesis:us-east-2:999999999999:stream/mystream","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}""", body);
    }

    [Fact]
    public async Task PutRecords_PartialFailure_ReturnsEachEntryInOrderWithoutRetrying()
    {
        _handler.Respond(HttpStatusCode.OK, """
            {"FailedRecordCount":1,"Records":[
              {"SequenceNumber":"49543463076548007577105092703039560359975228518395012686","ShardId":"shardId-000000000000"},
              {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard shardId-000000000001 in stream exampleStreamName under account 111111111111."}]}
            """);
        using var client = CreateSut();

        var response = await client.PutRecordsAsync(new PutRecordsRequest("s", [new(new byte[] { 1 }, "a"), new(new byte[] { 2 }, "b")]));

        Assert.Equal(1, response.FailedRecordCount);
        Assert.True(response.Records[0].Succeeded);
        Assert.Equal("shardId-000000000000", response.Records[0].ShardId);
        Assert.Equal("ProvisionedThroughputExceededException", response.Records[1].ErrorCode);
        Assert.Single(_handler.Sent);
    }

    [Fact]
    public async Task PutRecords_FewerResultsThanRecords_ThrowsProtocolError()
    {
        _handler.Respond(HttpStatusCode.OK, """{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"}]}""");
        using var client = CreateSut();

        var error = await Assert.ThrowsAsync<KinesisProtocolException>(() =>
            client.PutRecordsAsync(new PutRecordsRequest("s", [new(new byte[] { 1 }, "a"), new(new byte[] { 2 }, "b")])));

        Assert.Contains("1 results for 2 records", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ResourceNotFoundException", typeof(KinesisResourceNotFoundException))]
    [InlineData("com.amazonaws.kinesis.v20131202#ResourceInUseException", typeof(KinesisResourceInUseException))]
    [InlineData("InvalidArgumentException", typeof(KinesisInvalidArgumentException))]
    [InlineData("ExpiredIteratorException", typeof(KinesisExpiredIteratorException))]
    [InlineData("ExpiredNextTokenException", typeof(KinesisExpiredNextTokenException))]
    [InlineData("AccessDeniedException", typeof(KinesisAccessDeniedException))]
    [InlineData("KMSDisabledException", typeof(KinesisKmsException))]
    [InlineData("KMSNotFoundException", typeof(KinesisKmsException))]
    public async Task GetRecords_ClientError_MapsToTheTypedExceptionWithoutRetry(string type, Type expected)
    {
        _handler.Respond(HttpStatusCode.BadRequest, $$"""{"__type":"{{type}}","message":"boom"}""");
        using var client = CreateSut();

        var error = await Assert.ThrowsAnyAsync<KinesisException>(() => client.GetRecordsAsync(new GetRecordsRequest("it")));

        Assert.IsType(expected, error);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("req-0", error.RequestId);
        Assert.Contains("boom", error.Message, StringComparison.Ordinal);
        Assert.Single(_handler.Sent);
    }

    [Fact]
    public async Task GetRecords_ErrorTypeOnlyInHeader_UsesTheHeader()
    {
        _handler.Respond(HttpStatusCode.BadRequest, "", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.coral.service/");
        using var client = CreateSut();

        await Assert.ThrowsAsync<KinesisResourceNotFoundException>(() => client.GetRecordsAsync(new GetRecordsRequest("it")));
    }

    [Fact]
    public async Task GetRecords_ThrottledThenOk_RetriesAndSucceeds()
    {
        _handler
            .Respond(HttpStatusCode.BadRequest, """{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"}""")
            .Respond(HttpStatusCode.OK, """{"Records":[{"SequenceNumber":"7","ApproximateArrivalTimestamp":1.441215410867E9,"Data":"aGk=","PartitionKey":"pk"}],"NextShardIterator":"next","MillisBehindLatest":0}""");
        using var client = CreateSut();

        var response = await client.GetRecordsAsync(new GetRecordsRequest("it", 10));

        var record = Assert.Single(response.Records);
        Assert.Equal("hi"u8.ToArray(), record.Data.ToArray());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1441215410867), record.ApproximateArrivalTimestamp);
        Assert.Equal("next", response.NextShardIterator);
        Assert.Equal(2, _handler.Sent.Count);
    }

    [Fact]
    public async Task GetRecords_ServerErrorEveryTime_StopsAfterMaxAttempts()
    {
        for (var i = 0; i < 5; i++)
        {
            _handler.Respond(HttpStatusCode.InternalServerError, """{"__type":"InternalFailure"}""");
        }

        using var client = CreateSut();

        var error = await Assert.ThrowsAsync<KinesisServiceException>(() => client.GetRecordsAsync(new GetRecordsRequest("it")));

        Assert.Equal("InternalFailure", error.ErrorCode);
        Assert.Equal(3, _handler.Sent.Count);
    }

    [Fact]
    public async Task PutRecord_ServerError_IsNotRetriedAndSaysTheOutcomeIsUnknown()
    {
        _handler.Respond(HttpStatusCode.InternalServerError, """{"__type":"InternalFailure"}""")
            .Respond(HttpStatusCode.OK, """{"ShardId":"shardId-000000000000","SequenceNumber":"1"}""");
        using var client = CreateSut();

        var error = await Assert.ThrowsAsync<KinesisRequestOutcomeUnknownException>(() =>
            client.PutRecordAsync(new PutRecordRequest("s", new byte[] { 1 }, "pk")));

        Assert.Equal("PutRecord", error.Operation);
        Assert.IsType<KinesisServiceException>(error.InnerException);
        Assert.Single(_handler.Sent);
    }

    [Fact]
    public async Task PutRecords_BrokenConnection_IsNotRetried()
    {
        _handler.Throw(new HttpRequestException("reset", new IOException("connection reset by peer")))
            .Respond(HttpStatusCode.OK, """{"FailedRecordCount":0,"Records":[]}""");
        using var client = CreateSut();

        await Assert.ThrowsAsync<KinesisRequestOutcomeUnknownException>(() =>
            client.PutRecordsAsync(new PutRecordsRequest("s", [new(new byte[] { 1 }, "a")])));

        Assert.Single(_handler.Sent);
    }

    [Fact]
    public async Task PutRecord_Throttled_IsRetriedBecauseKinesisRejectedIt()
    {
        _handler.Respond(HttpStatusCode.BadRequest, """{"__type":"ProvisionedThroughputExceededException","message":"Rate exceeded"}""")
            .Respond(HttpStatusCode.OK, """{"ShardId":"shardId-000000000000","SequenceNumber":"1"}""");
        using var client = CreateSut();

        var response = await client.PutRecordAsync(new PutRecordRequest("s", new byte[] { 1 }, "pk"));

        Assert.Equal("1", response.SequenceNumber);
        Assert.Equal(2, _handler.Sent.Count);
    }

    [Fact]
    public async Task PutRecord_ConnectionRefused_IsRetriedBecauseNothingWasSent()
    {
        _handler.Throw(new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused)))
            .Respond(HttpStatusCode.OK, """{"ShardId":"shardId-000000000000","SequenceNumber":"1"}""");
        using var client = CreateSut();

        await client.PutRecordAsync(new PutRecordRequest("s", new byte[] { 1 }, "pk"));

        Assert.Equal(2, _handler.Sent.Count);
    }

    [Fact]
    public async Task ListShards_Timeout_IsRetriedForAReadAndSucceeds()
    {
        _handler.Hang().Respond(HttpStatusCode.OK, """{"Shards":[]}""");
        using var client = CreateSut(FastRetries with { AttemptTimeout = TimeSpan.FromMilliseconds(100) });

        var response = await client.ListShardsAsync(new ListShardsRequest("s"));

        Assert.Empty(response.Shards);
        Assert.Equal(2, _handler.Sent.Count);
    }

    [Fact]
    public async Task CreateStream_Timeout_IsNotRetried()
    {
        _handler.Hang().Respond(HttpStatusCode.OK, "");
        using var client = CreateSut(FastRetries with { AttemptTimeout = TimeSpan.FromMilliseconds(100) });

        var error = await Assert.ThrowsAsync<KinesisRequestOutcomeUnknownException>(() => client.CreateStreamAsync(new CreateStreamRequest("s", 1)));

        Assert.Contains("no response within", error.Message, StringComparison.Ordinal);
        Assert.Single(_handler.Sent);
    }

    [Fact]
    public async Task GetRecords_CallerCancels_ThrowsOperationCanceledWithoutRetry()
    {
        _handler.Hang();
        using var client = CreateSut();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetRecordsAsync(new GetRecordsRequest("it"), cancel.Token));

        Assert.Single(_handler.Sent);
    }

    [Fact]
    public void Backoff_FullJitter_StaysBelowTheExponentialCeilingAndCoversIt()
    {
        using var client = new KinesisClient(_http, new Uri("http://localhost"), new KinesisClientOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(1000) }, random: new Random(7));

        foreach (var (attempt, ceiling) in new[] { (1, 100.0), (2, 200.0), (3, 400.0), (4, 800.0), (5, 1000.0), (9, 1000.0) })
        {
            var samples = Enumerable.Range(0, 2000).Select(_ => client.Backoff(attempt).TotalMilliseconds).ToArray();
            Assert.All(samples, d => Assert.InRange(d, 0, ceiling));
            Assert.True(samples.Min() < ceiling * 0.05, $"attempt {attempt}: full jitter reaches near zero");
            Assert.True(samples.Max() > ceiling * 0.95, $"attempt {attempt}: full jitter reaches near the ceiling {ceiling}");
        }
    }

    [Fact]
    public async Task ListShards_NextTokenWithStreamName_RejectedBeforeSending()
    {
        using var client = CreateSut();

        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => client.ListShardsAsync(new ListShardsRequest("s", NextToken: "t")));

        Assert.Empty(_handler.Sent);
    }

    [Fact]
    public async Task ListShards_Response_ParsesLineageAndHashKeys()
    {
        _handler.Respond(HttpStatusCode.OK, """
            {"Shards":[{"ShardId":"shardId-000000000002","ParentShardId":"shardId-000000000000","AdjacentParentShardId":"shardId-000000000001",
              "HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"},
              "SequenceNumberRange":{"StartingSequenceNumber":"49","EndingSequenceNumber":"50"}}],"NextToken":"tok"}
            """);
        using var client = CreateSut();

        var response = await client.ListShardsAsync(new ListShardsRequest("s", MaxResults: 1));

        var shard = Assert.Single(response.Shards);
        Assert.Equal("shardId-000000000001", shard.AdjacentParentShardId);
        Assert.Equal(UInt128.MaxValue, shard.HashKeyRange.EndingHashKey);
        Assert.False(shard.IsOpen);
        Assert.Equal("tok", response.NextToken);
        using var sent = JsonDocument.Parse(_handler.Sent[0].Body);
        Assert.Equal(1, sent.RootElement.GetProperty("MaxResults").GetInt32());
    }

    [Fact]
    public async Task DescribeStreamSummary_MissingField_ThrowsProtocolErrorNamingIt()
    {
        _handler.Respond(HttpStatusCode.OK, """{"StreamDescriptionSummary":{"StreamName":"s"}}""");
        using var client = CreateSut();

        var error = await Assert.ThrowsAsync<KinesisProtocolException>(() => client.DescribeStreamSummaryAsync("s"));

        Assert.Contains("StreamARN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetRecords_NotJson_ThrowsProtocolError()
    {
        _handler.Respond(HttpStatusCode.OK, "<html>proxy</html>");
        using var client = CreateSut();

        await Assert.ThrowsAsync<KinesisProtocolException>(() => client.GetRecordsAsync(new GetRecordsRequest("it")));
    }

    [Fact]
    public void Options_OutOfRange_ThrowsNamingTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new KinesisClientOptions { MaxAttempts = 0 }.Validate());

        Assert.Equal("MaxAttempts", error.ParamName);
    }

    private KinesisClient CreateSut(KinesisClientOptions? options = null) =>
        new(_http, new Uri("http://127.0.0.1:1"), options ?? FastRetries);
}
