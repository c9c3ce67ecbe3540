using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using BenchmarkDotNet.Attributes;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Sink;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Transform;

namespace StreamFunctions.Benchmarks.Sink;

/// <summary>
/// The S3 sink's CPU path for one Kinesis event: 10,000 ~600-byte JSON records, KPL-aggregated → de-aggregate →
/// in-process JSON projection transform (filter, 6 of 9 fields, a partition key) → dynamic partitioning
/// (4 partitions) → JSON lines → GZIP level 6 → the staged chunk (the bytes that go to S3), against GZIP
/// level 6 alone over exactly the bytes the pipeline compresses (same segments).
/// </summary>
[MemoryDiagnoser]
public class SinkPipelineBenchmarks
{
    private const int Records = 10_000;
    private StreamRecordBatch _batch = null!;
    private S3Sink _sink = null!;
    private byte[][] _compressed = [];
    private long _inputBytes;

    /// <summary>The transformation: the projection, a filter that keeps whole records, or none.</summary>
    [Params("projection", "filter-only", "none")]
    public string Transform { get; set; } = "projection";

    /// <summary>The largest KPL aggregate: the KPL's default (51,200 bytes), or Kinesis's 1 MiB record limit.</summary>
    [Params(51_200)]
    public int AggregateSize { get; set; } = 51_200;

    [GlobalSetup]
    public async Task Setup()
    {
        var random = new Random(7);
        string[] types = ["click", "view", "purchase", "scroll"];
        string[] pages = ["/", "/search?q=shoes", "/cart", "/checkout", "/product/123", "/product/456", "/account/settings"];
        var users = new List<UserRecord>(Records);
        for (var i = 0; i < Records; i++)
        {
            var json = $$"""{"eventId":"{{Guid.NewGuid()}}","type":"{{types[random.Next(types.Length)]}}","user":{"id":"u{{random.Next(100_000)}}","segment":"s{{random.Next(20)}}","country":"DE"},"page":"{{pages[random.Next(pages.Length)]}}","referrer":"https://www.example.com/campaign/{{random.Next(1000)}}?utm_source=newsletter&utm_medium=email","agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","durationMs":{{random.Next(5000)}},"price":{{random.Next(100_000) / 100.0}},"at":"2026-11-23T{{random.Next(24):00}}:{{random.Next(60):00}}:{{random.Next(60):00}}Z","session":"{{Guid.NewGuid():N}}"}""";
            users.Add(new UserRecord($"u{i % 500}", Encoding.UTF8.GetBytes(json)));
            _inputBytes += json.Length;
        }

        // Aggregated as a KPL producer with its defaults does: AggregationMaxSize 51,200 bytes.
        using var aggregator = new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = AggregateSize });
        var aggregates = new List<KinesisAggregate>();
        aggregator.AddRange(users.ToArray(), aggregates);
        var arrival = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        var evnt = new KinesisEvent
        {
            Records = [.. aggregates.Select((a, i) => new KinesisEventRecord
            {
                EventSource = "aws:kinesis",
                EventSourceArn = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
                EventId = $"shardId-000000000000:{49_600_000_000_000_000L + i}",
                Kinesis = new KinesisRecord { PartitionKey = a.PartitionKey, SequenceNumber = (49_600_000_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture), Data = a.Data.ToArray(), ApproximateArrivalTimestamp = arrival },
            })],
        };
        Console.WriteLine($"// {Records:N0} records, {_inputBytes:N0} bytes of JSON in {aggregates.Count} KPL aggregates ({evnt.Records.Sum(r => r.Kinesis.Data.Length):N0} bytes; {evnt.Records.Sum(r => (r.Kinesis.Data.Length + 2) / 3 * 4):N0} as base64 in the event)");

        // Read once as the handler reads the event's bytes; the benchmark measures what the sink does with the records.
        _batch = KinesisEventReader.Read(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KinesisEvent));

        IRecordTransform? transform = Transform switch
        {
            "projection" => JsonProjectionTransform.Parse("""
                {"filter": {"$.type": ["click", "view", "purchase", "scroll"]},
                 "fields": {"id": "$.eventId", "type": "$.type", "user": "$.user.id", "page": "$.page", "ms": "$.durationMs", "at": "$.at"},
                 "partitionKeys": {"type": "$.type"}}
                """),
            "filter-only" => JsonProjectionTransform.Parse("""{"filter": {"$.type": ["click", "view", "purchase", "scroll"]}, "partitionKeys": {"type": "$.type"}}"""),
            _ => null,
        };
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("unused", "unused"), new AmazonS3Config { ServiceURL = "http://127.0.0.1:9" });
        _sink = Sink(s3, transform, CompressionCodec.Gzip);

        // The codec-alone baseline compresses exactly the uncompressed bytes the pipeline compresses, partition by partition.
        var plain = await Sink(s3, transform, CompressionCodec.None).EncodeAsync(_batch);
        var plainChunk = plain.Chunk.ToArray();
        var segments = Segments(plainChunk, plain.Partitions);
        _compressed = segments;
        var gzip = await _sink.EncodeAsync(_batch);
        Console.WriteLine($"// delivered {gzip.Delivered:N0} in {gzip.Partitions} partitions: {plainChunk.Length:N0} bytes of JSON lines -> {gzip.Chunk.Length:N0} bytes of GZIP");
    }

    [GlobalCleanup]
    public void Cleanup() => _batch.Dispose();

    [Benchmark(Baseline = true)]
    public long GzipAlone()
    {
        long written = 0;
        foreach (var segment in _compressed)
        {
            written += GzipSegments.Compress(segment, Stream.Null, 6).CompressedLength;
        }

        return written;
    }

    [Benchmark]
    public async Task<int> DeaggregateTransformPartitionJsonLinesGzip() => (await _sink.EncodeAsync(_batch)).Chunk.Length;

    private static S3Sink Sink(IAmazonS3 s3, IRecordTransform? transform, CompressionCodec codec) => new(
        s3,
        new InMemorySinkStateStore(),
        new S3SinkOptions
        {
            Bucket = "bench",
            Prefix = transform is null ? "data/type=!{partitionKeyFromQuery:type}/!{timestamp:yyyy/MM/dd/HH}/" : "data/type=!{partitionKeyFromLambda:type}/!{timestamp:yyyy/MM/dd/HH}/",
            PartitionKeyQueries = new Dictionary<string, string> { ["type"] = ".type" },
            BufferInterval = TimeSpan.FromSeconds(60),
            Compression = new CompressionOptions { Codec = codec },
        },
        transform);

    // The uncompressed chunk holds the partitions' JSON lines back to back; split it at the partition boundaries (4 types, by first record).
    private static byte[][] Segments(byte[] chunk, int partitions)
    {
        var lines = Encoding.UTF8.GetString(chunk).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return [.. lines.GroupBy(l => l[(l.IndexOf("\"type\":\"", StringComparison.Ordinal) + 8)..].Split('"')[0])
            .Take(partitions)
            .Select(g => Encoding.UTF8.GetBytes(string.Concat(g.Select(l => l + "\n"))))];
    }
}
