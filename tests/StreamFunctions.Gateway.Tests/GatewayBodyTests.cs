using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.ApiGateway;
using StreamFunctions.Producers;

namespace StreamFunctions.Gateway.Tests;

/// <summary>What the Gateway does with a request's body before it reads records from it; the producer records what reaches it.</summary>
public sealed class GatewayBodyTests
{
    private readonly RecordingProducer _producer = new();

    [Fact]
    public async Task Handle_TextBodyWithALoneSurrogate_400AndNothingWritten()
    {
        // An event's body string can hold an escaped lone surrogate (\ud800), which has no UTF-8 form; it was written
        // with U+FFFD in its place.
        var response = await CreateSut().HandleAsync(Request("{\"records\":[{\"partitionKey\":\"k\",\"data\":\"a\ud800b\"}]}"), DateTimeOffset.MaxValue);

        Assert.Equal(400, response.StatusCode);
        using var body = JsonDocument.Parse(response.Body!);
        Assert.Equal("body.utf8", body.RootElement.GetProperty("errors")[0].GetProperty("rule").GetString());
        Assert.Equal(0, _producer.Calls);
    }

    [Fact]
    public async Task Handle_TextBodyOfValidUnicode_WrittenAsItsUtf8()
    {
        var response = await CreateSut().HandleAsync(Request("{\"records\":[{\"partitionKey\":\"k\",\"data\":\"a😀b\"}]}"), DateTimeOffset.MaxValue);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("\"a😀b\"", Encoding.UTF8.GetString(Assert.Single(_producer.Records).Data.Span));
    }

    private GatewayService CreateSut() =>
        new(_producer, new GatewayAuthorizer(GatewayAuthMode.ApiKey, [Convert.ToHexStringLower(SHA256.HashData("key"u8))]));

    private static APIGatewayHttpApiV2ProxyRequest Request(string body) => new()
    {
        Headers = new Dictionary<string, string> { ["x-api-key"] = "key", ["content-type"] = "application/json" },
        Body = body,
        RequestContext = new APIGatewayHttpApiV2ProxyRequest.ProxyRequestContext { Http = new APIGatewayHttpApiV2ProxyRequest.HttpDescription { Method = "POST", Path = "/" } },
    };

    private sealed class RecordingProducer : IRecordProducer
    {
        public int Calls { get; private set; }

        public List<ProducerRecord> Records { get; } = [];

        public string Destination => "kinesis:test";

        public Task<IReadOnlyList<ProduceResult>> ProduceAsync(IReadOnlyList<ProducerRecord> records, DateTimeOffset deadline, CancellationToken cancellationToken = default)
        {
            Calls++;
            Records.AddRange(records);
            return Task.FromResult<IReadOnlyList<ProduceResult>>([.. records.Select(_ => new ProduceResult { ShardId = "shardId-000000000000", SequenceNumber = "1" })]);
        }
    }
}
