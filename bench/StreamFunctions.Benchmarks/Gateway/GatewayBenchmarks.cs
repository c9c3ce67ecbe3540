using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Gateway;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Producers;
using StreamFunctions.Producers.Placement;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Benchmarks.Gateway;

/// <summary>
/// One gateway request of 500 × 1 KB JSON records to the bytes of its PutRecords call: read and validate
/// the body, plan the call (aggregated per shard or not), and serialize the request through the real
/// Kinesis client; the transport answers at once with success, so what is measured is the gateway's CPU.
/// </summary>
[MemoryDiagnoser]
public class GatewayBenchmarks
{
    private byte[] _body = [];
    private KinesisRecordProducer _producer = null!;
    private KinesisClient _client = null!;

    [Params(false, true)]
    public bool Aggregate { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = new string('x', 1000);
        var body = new StringBuilder("{\"records\":[");
        for (var i = 0; i < 500; i++)
        {
            body.Append(i == 0 ? string.Empty : ",").Append("{\"partitionKey\":\"user-").Append(i).Append("\",\"data\":{\"n\":").Append(i).Append(",\"p\":\"").Append(payload).Append("\"}}");
        }

        _body = Encoding.UTF8.GetBytes(body.Append("]}").ToString());
        _client = new KinesisClient(new HttpClient(new AnswerAll()), new Uri("http://127.0.0.1:1/"));
        _producer = new KinesisRecordProducer(_client, "bench", new KinesisProducerOptions { Aggregate = Aggregate });
    }

    [GlobalCleanup]
    public void Cleanup() => _client.Dispose();

    [Benchmark(OperationsPerInvoke = 1)]
    public async Task<int> RequestToPutRecords()
    {
        var records = IngestRequestReader.Read(_body, "application/json");
        var results = await _producer.ProduceAsync([.. records.Select(r => r.Record)], DateTimeOffset.MaxValue).ConfigureAwait(false);
        return results.Count;
    }

    // Reads the request as Kinesis would and answers every entry with success on shard 0 (ListShards: 4 shards).
    private sealed class AnswerAll : HttpMessageHandler
    {
        private static readonly byte[] Shards = Encoding.UTF8.GetBytes(
            "{\"Shards\":[" + string.Join(",", Enumerable.Range(0, 4).Select(i =>
                $"{{\"ShardId\":\"shardId-00000000000{i}\",\"HashKeyRange\":{{\"StartingHashKey\":\"{(UInt128.MaxValue / 4 * (UInt128)i) + (UInt128)(i == 0 ? 0 : 1)}\",\"EndingHashKey\":\"{(i == 3 ? UInt128.MaxValue : UInt128.MaxValue / 4 * (UInt128)(i + 1))}\"}},\"SequenceNumberRange\":{{\"StartingSequenceNumber\":\"1\"}}}}")) + "]}");

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (request.Headers.GetValues("X-Amz-Target").Single().EndsWith("ListShards", StringComparison.Ordinal))
            {
                return Answer(Shards);
            }

            var entries = CountEntries(body);
            var answer = new StringBuilder("{\"FailedRecordCount\":0,\"Records\":[");
            for (var i = 0; i < entries; i++)
            {
                answer.Append(i == 0 ? string.Empty : ",").Append("{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":\"4959").Append(i).Append("\"}");
            }

            return Answer(Encoding.UTF8.GetBytes(answer.Append("]}").ToString()));
        }

        private static int CountEntries(byte[] body)
        {
            using var json = System.Text.Json.JsonDocument.Parse(body);
            return json.RootElement.GetProperty("Records").GetArrayLength();
        }

        private static HttpResponseMessage Answer(byte[] body) => new(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/x-amz-json-1.1") } },
        };
    }
}

/// <summary>MD5 of a partition key → its shard among 1,000 (Kinesis-exact routing).</summary>
public class ShardRoutingBenchmarks
{
    private string[] _keys = [];
    private KinesisShardMap _map = null!;
    private Shard[] _shards = [];

    [GlobalSetup]
    public void Setup()
    {
        _keys = Enumerable.Range(0, 4096).Select(i => "user-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        using var kinesis = FaultInjectingKinesis.OnTempFolder(maxShardsPerStream: 1000);
        kinesis.CreateStreamAsync(new CreateStreamRequest("routing", 1000)).GetAwaiter().GetResult();
        _map = new KinesisShardMap(kinesis, "routing");
        _map.RefreshAsync().GetAwaiter().GetResult();
        _shards = new Shard[_keys.Length];
    }

    [Benchmark(OperationsPerInvoke = 4096)]
    public int RouteKey()
    {
        var found = 0;
        foreach (var key in _keys)
        {
            found += _map.Route(key).ShardId.Length;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = 4096)]
    public int RouteMany()
    {
        _map.RouteMany(_keys, _shards);
        return _shards[^1].ShardId.Length;
    }
}
