using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Amazon.S3;
using BenchmarkDotNet.Attributes;
using StreamFunctions.Benchmarks.LambdaEvents;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Sink;
using StreamFunctions.Sink.Buffer;

namespace StreamFunctions.Benchmarks.Sink;

/// <summary>
/// The S3Sink function's handler as Lambda calls it (issue 27): the raw bytes of a ~6 MB Lambda event in
/// (<see cref="S3SinkFunction.HandleAsync"/>: source detection, the event's JSON and base64, KPL de-aggregation,
/// partitioning, JSON lines, compression), one staged chunk out (the <c>.sfn-staging/…/chunks/</c> PUT, through a real
/// S3 client into <see cref="InMemoryS3"/>) and the shard's state committed to an in-memory state store. Records are
/// JSON of ~440 bytes (10 fields), one partition (the default prefix, one arrival hour); the sink has the deployed
/// function's settings but buffering hints at their largest (128 MiB, 900 s), so that no invocation delivers an
/// object. Each invocation is independent: a sink with an empty state (a new shard range), as the first batch of a
/// shard meets it; with one state, a second call would skip the whole batch as already durable (checked in setup).
/// Building the sink is part of the invocation (its cost is printed in setup: microseconds against milliseconds).
/// </summary>
[MemoryDiagnoser]
public class S3SinkHandlerBenchmarks
{
    private static readonly DateTimeOffset Arrival = new(2026, 11, 23, 10, 0, 0, 123, TimeSpan.Zero);

    // The S3Sink function's template timeout (template.yaml).
    private readonly BenchmarkLambdaContext _context = new("S3Sink", TimeSpan.FromSeconds(300));
    private readonly InMemoryS3 _store = new();
    private AmazonS3Client _s3 = null!;
    private S3SinkOptions _options = new();
    private byte[] _payload = [];
    private int _chunkBytes;

    /// <summary>
    /// The event: Kinesis with one JSON record per Kinesis record; Kinesis with KPL aggregates of the KPL's default
    /// size (51,200 bytes, built with <see cref="KplAggregator"/>); or Amazon MSK (<c>aws:kafka</c>), one JSON record per value.
    /// </summary>
    [Params("kinesis", "kinesis-kpl", "msk")]
    public string Event { get; set; } = "kinesis";

    /// <summary>The staged chunk's compression: the function's own default (none) or the template's (gzip, level 6).</summary>
    [Params("none", "gzip")]
    public string Compression { get; set; } = "none";

    [GlobalSetup]
    public async Task Setup()
    {
        var users = UserRecords(20_000);
        int sourceRecords;
        int userRecords;
        switch (Event)
        {
            case "kinesis":
                (_payload, sourceRecords) = LambdaEventPayloads.Kinesis([.. users.Select(u => (u.Key, u.Json))], Arrival);
                userRecords = sourceRecords;
                break;
            case "kinesis-kpl":
                using (var aggregator = new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = 51_200 }))
                {
                    var aggregates = new List<KinesisAggregate>();
                    aggregator.AddRange([.. users.Select(u => new UserRecord(u.Key, u.Json))], aggregates);
                    (_payload, sourceRecords) = LambdaEventPayloads.Kinesis([.. aggregates.Select(a => (a.PartitionKey, a.Data))], Arrival);
                    userRecords = aggregates.Take(sourceRecords).Sum(a => a.UserRecordCount);
                    aggregates.ForEach(a => a.Dispose());
                }

                break;
            case "msk":
                (_payload, sourceRecords) = LambdaEventPayloads.Msk([.. users.Select(u => (u.Key, u.Json))], Arrival);
                userRecords = sourceRecords;
                break;
            default:
                throw new ArgumentException($"Event is '{Event}'; it must be kinesis, kinesis-kpl or msk.");
        }

        if (sourceRecords == users.Count)
        {
            throw new InvalidOperationException($"All {users.Count} records fit in the event: make more, so that it is filled to Lambda's limit.");
        }

        var codec = Compression switch
        {
            "none" => CompressionCodec.None,
            "gzip" => CompressionCodec.Gzip,
            _ => throw new ArgumentException($"Compression is '{Compression}'; it must be none or gzip."),
        };

        // functions/S3Sink/S3SinkSetup.cs's defaults (as template.yaml sets them: no partition keys, no transform), but
        // buffering hints at their largest.
        _options = new S3SinkOptions
        {
            Bucket = "bench",
            BufferSizeBytes = S3SinkOptions.MaxBufferSize,
            BufferInterval = S3SinkOptions.MaxBufferInterval,
            Compression = new CompressionOptions { Codec = codec },
        };
        _s3 = _store.CreateClient();

        var expected = new MemoryStream();
        foreach (var user in users.Take(userRecords))
        {
            expected.Write(user.Json.Span);
            expected.WriteByte((byte)'\n');
        }

        var (first, last) = Event == "msk" ? ("0", (sourceRecords - 1).ToString(CultureInfo.InvariantCulture)) : (LambdaEventPayloads.KinesisSequence(0), LambdaEventPayloads.KinesisSequence(sourceRecords - 1));
        var chunkPath = $"/.sfn-staging/clicks/{(Event == "msk" ? "0" : "shardId-000000000000")}/chunks/{first}-{last}";

        // Correctness, once: every record in the chunk, in order; only the chunk written; nothing delivered; and twice
        // in a row, each invocation as the first (the one the benchmark repeats).
        for (var call = 0; call < 2; call++)
        {
            var function = NewFunction();
            var puts = _store.Puts;
            var response = await function.HandleAsync(_payload, _context, CancellationToken.None);
            var result = function.Totals;
            var staged = codec == CompressionCodec.None ? _store.LastBody.ToArray() : Inflate(_store.LastBody);
            Check(Encoding.UTF8.GetString(response.Span) == """{"batchItemFailures":[]}""", $"the response is {Encoding.UTF8.GetString(response.Span)}");
            Check(result is { Skipped: 0, Failed: 0, Dropped: 0, ObjectsWritten: 0, FlushError: null } && result.SourceRecords == sourceRecords && result.Delivered == userRecords, $"the result is {result}; {sourceRecords} records of {userRecords} user records should be delivered to the buffer, nothing else");
            Check(_store.Puts == puts + 1 && _store.LastPath == chunkPath, $"S3 got {_store.Puts - puts} PUTs, the last to {_store.LastPath}; one to {chunkPath} was expected");
            Check(staged.AsSpan().SequenceEqual(expected.GetBuffer().AsSpan(0, (int)expected.Length)), $"the staged chunk holds {staged.Length} bytes ({staged.Count(b => b == '\n')} lines) where the {userRecords} records are {expected.Length} bytes");

            // The same sink (the same state) again: the whole batch is already durable and skipped, nothing is written.
            _ = await function.HandleAsync(_payload, _context, CancellationToken.None);
            Check(function.Totals.Skipped == sourceRecords && _store.Puts == puts + 1, $"a redelivery to the same sink gave {function.Totals}, {_store.Puts - puts} PUTs; the batch should be skipped as durable");
        }

        _chunkBytes = _store.LastBody.Length;

        // What building the sink per invocation costs (it is inside the measured call).
        const int Builds = 1_000;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Builds; i++)
        {
            _ = NewFunction();
        }

        var perBuild = clock.Elapsed.TotalMicroseconds / Builds;
        var bytesPerBuild = (GC.GetAllocatedBytesForCurrentThread() - allocated) / Builds;
        Console.WriteLine($"// {Event}: a {_payload.Length:N0}-byte event of {sourceRecords:N0} records, {userRecords:N0} user records ({expected.Length:N0} bytes of JSON lines); staged chunk {_chunkBytes:N0} bytes ({Compression}); building the sink {perBuild:N1} µs, {bytesPerBuild:N0} B");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _s3.Dispose();
        _store.Dispose();
    }

    [Benchmark(Description = "HandleAsync (event bytes in, staged chunk out)")]
    public async Task<int> Handle()
    {
        var puts = _store.Puts;
        var response = await NewFunction().HandleAsync(_payload, _context, CancellationToken.None);
        if (_store.Puts != puts + 1 || _store.LastBody.Length != _chunkBytes)
        {
            throw new InvalidOperationException($"The invocation made {_store.Puts - puts} PUTs, the last of {_store.LastBody.Length} bytes; one chunk of {_chunkBytes} bytes was expected.");
        }

        return response.Length;
    }

    // A sink with an empty state, over the one S3 client (as a Lambda instance keeps its client).
    private S3SinkFunction NewFunction() => new(new S3Sink(_s3, new InMemorySinkStateStore(), _options));

    private static void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"S3SinkHandlerBenchmarks: {problem}.");
        }
    }

    // A GZIP chunk is DEFLATE segments of one member, without the final block (added at delivery): add one and inflate.
    private static byte[] Inflate(ReadOnlyMemory<byte> segments)
    {
        using var input = new MemoryStream([.. segments.Span, 0x03, 0x00]);
        using var deflate = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        deflate.CopyTo(output);
        return output.ToArray();
    }

    // JSON records of ~440 bytes (a click stream's), the same at every run; keyed by user, 500 keys.
    private static List<(string Key, ReadOnlyMemory<byte> Json)> UserRecords(int count)
    {
        var random = new Random(7);
        string[] types = ["click", "view", "purchase", "scroll"];
        string[] pages = ["/", "/search?q=shoes", "/cart", "/checkout", "/product/123", "/product/456", "/account/settings"];
        var records = new List<(string, ReadOnlyMemory<byte>)>(count);
        var id = new byte[16];
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(id);
            var eventId = new Guid(id);
            random.NextBytes(id);
            var session = new Guid(id);
            var json = $$"""{"eventId":"{{eventId}}","type":"{{types[random.Next(types.Length)]}}","user":{"id":"u{{random.Next(100_000)}}","segment":"s{{random.Next(20)}}","country":"DE"},"page":"{{pages[random.Next(pages.Length)]}}","referrer":"https://www.example.com/campaign/{{random.Next(1000)}}?utm_source=newsletter&utm_medium=email","agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","durationMs":{{random.Next(5000)}},"price":{{random.Next(100_000) / 100.0}},"at":"2026-11-23T10:{{random.Next(60):00}}:{{random.Next(60):00}}Z","session":"{{session:N}}"}""";
            records.Add(($"u{i % 500}", Encoding.UTF8.GetBytes(json)));
        }

        return records;
    }
}
