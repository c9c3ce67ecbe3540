using System.Text;
using System.Text.Json;
using Parquet;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Objects;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Testing;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The S3Sink function as Lambda runs it (its bootstrap under the Runtime API), fed by the event-source-mapping
/// runner from the Kinesis emulator, staging in the S3 emulator and keeping its state in the DynamoDB emulator.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class S3SinkFunctionTests(LocalAwsFixture aws)
{
    private static readonly string Padding = new('x', 520);

    [Fact(Timeout = 180_000)]
    public async Task Sink_SizeHint_DeliversEachPartitionWhenReachedAndTheRestOnInterval()
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        const int Count = 4_000;
        var last = await env.PutAsync(Count, Json);
        var checkpoints = new InMemoryShardCheckpointStore();
        await using (var function = env.Function("S3Sink", new() { ["SINK_BUFFER_SIZE_MB"] = "1", ["SINK_BUFFER_INTERVAL_SECONDS"] = "900", ["SINK_COMPRESSION"] = "gzip" }))
        {
            await Mapping(env, function, checkpoints, batchSize: 500).DrainAsync();
        }

        // Size-triggered: at least two objects of at least 1 MiB each, with no record twice; the rest is buffered.
        var keys = await env.KeysAsync("data/");
        Assert.True(keys.Count >= 2, $"{keys.Count} objects");
        Assert.All(keys, k => Assert.EndsWith(".jsonl.gz", k, StringComparison.Ordinal));
        foreach (var key in keys)
        {
            Assert.True((await env.ObjectAsync(key, CompressionCodec.Gzip)).Length >= 1024 * 1024, key);
        }

        var delivered = (await env.LinesAsync("data/", CompressionCodec.Gzip)).Select(l => SinkEnvironment.N(l.Line)).ToList();
        Assert.Equal(delivered.Count, delivered.Distinct().Count());
        var buffered = await env.StateAsync();
        Assert.Equal(Count - delivered.Count, buffered.Partitions.Sum(p => p.Records));
        Assert.Equal(last, buffered.LastSequence);
        Assert.Equal(last, (await checkpoints.GetAsync("shardId-000000000000"))?.SequenceNumber);

        // Interval 0 on the scheduled flush delivers what is buffered: every record once, nothing left in the state.
        await using (var function = env.Function("S3Sink", new() { ["SINK_BUFFER_INTERVAL_SECONDS"] = "0", ["SINK_COMPRESSION"] = "gzip" }))
        {
            await SinkEnvironment.FlushAsync(function);
        }

        Assert.Equal(Enumerable.Range(0, Count), (await env.LinesAsync("data/", CompressionCodec.Gzip)).Select(l => SinkEnvironment.N(l.Line)).Order());
        var state = await env.StateAsync();
        Assert.Empty(state.Partitions);
        Assert.Empty(state.Chunks);
    }

    [Fact(Timeout = 180_000)]
    public async Task Sink_IntervalHint_FromItsSettingNotBeforeTheIntervalThenBySchedulesAndInvocations()
    {
        // The interval itself, on a clock the test moves, is BufferIntervalTests': here, that the setting reaches the sink.
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        var checkpoints = new InMemoryShardCheckpointStore();
        await env.PutAsync(300, Json);
        await using (var function = env.Function("S3Sink", new() { ["SINK_BUFFER_INTERVAL_SECONDS"] = "900", ["SINK_COMPRESSION"] = "zstd" }))
        {
            await Mapping(env, function, checkpoints, batchSize: 100).DrainAsync();
            await SinkEnvironment.FlushAsync(function);
        }

        Assert.Empty(await env.KeysAsync("data/"));

        await using var due = env.Function("S3Sink", new() { ["SINK_BUFFER_INTERVAL_SECONDS"] = "0", ["SINK_COMPRESSION"] = "zstd" });
        await SinkEnvironment.FlushAsync(due);
        Assert.Equal(Enumerable.Range(0, 300), (await env.LinesAsync("data/", CompressionCodec.Zstd)).Select(l => SinkEnvironment.N(l.Line)).Order());

        // A partition past its interval is also delivered by the next invocation of its shard.
        var mapping = Mapping(env, due, checkpoints, batchSize: 100);
        await env.PutAsync(100, Json, start: 300);
        await mapping.DrainAsync();
        await env.PutAsync(1, Json, start: 400);
        await mapping.DrainAsync();
        var lines = await env.LinesAsync("data/", CompressionCodec.Zstd);
        Assert.Equal(Enumerable.Range(0, 401), lines.Select(l => SinkEnvironment.N(l.Line)).Order());
        Assert.All(lines, l => Assert.EndsWith(".jsonl.zst", l.Key, StringComparison.Ordinal));
    }

    [Fact(Timeout = 180_000)]
    public async Task Sink_InProcessTransformAndDynamicPartitions_DroppedAbsentFailuresUnderErrorPrefixBackupComplete()
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        const int Count = 600;
        await env.PutAsync(Count, Mixed);
        await using (var function = env.Function("S3Sink", new()
        {
            ["SINK_PREFIX"] = "data/type=!{partitionKeyFromLambda:type}/customer=!{partitionKeyFromQuery:customer}/!{timestamp:yyyy/MM/dd}/",
            ["SINK_PARTITION_KEYS"] = """{"customer": ".customer"}""",
            ["SINK_BACKUP_PREFIX"] = "backup/",
            ["SINK_BUFFER_INTERVAL_SECONDS"] = "1",
            ["TRANSFORM_CONFIG"] = """{"filter": {"$.type": ["click", "view"]}, "fields": {"n": "$.n", "type": "$.type", "customer": "$.customer"}, "partitionKeys": {"type": "$.type"}}""",
        }))
        {
            await Mapping(env, function, new InMemoryShardCheckpointStore(), batchSize: 250).DrainAsync();
            Assert.True(await SinkEnvironment.FlushAllAsync(function, attempts: 1), "a flush of everything left records undelivered");
        }

        await AssertMixedOutcomeAsync(env, Count, "not JSON");
        Assert.Equal(Enumerable.Range(0, Count), (await env.LinesAsync("backup/")).Select(l => l.Line.StartsWith("not json ", StringComparison.Ordinal) ? int.Parse(l.Line["not json ".Length..], System.Globalization.CultureInfo.InvariantCulture) : SinkEnvironment.N(l.Line)).Order());
    }

    [Fact(Timeout = 180_000)]
    public async Task Sink_TransformLambdaThroughSignedInvoke_SameOutcomeAsInProcess()
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        const int Count = 600;
        await env.PutAsync(Count, Mixed);
        await using var transform = env.Function("Transform", new()
        {
            ["TRANSFORM_CONFIG"] = """{"filter": {"$.type": ["click", "view"]}, "fields": {"n": "$.n", "type": "$.type", "customer": "$.customer"}, "partitionKeys": {"type": "$.type"}}""",
        });
        await using var invokeApi = new LoopbackLambdaInvokeApi(transform);
        await using (var function = env.Function("S3Sink", new()
        {
            ["SINK_PREFIX"] = "data/type=!{partitionKeyFromLambda:type}/customer=!{partitionKeyFromQuery:customer}/!{timestamp:yyyy/MM/dd}/",
            ["SINK_PARTITION_KEYS"] = """{"customer": ".customer"}""",
            ["SINK_BUFFER_INTERVAL_SECONDS"] = "1",
            ["TRANSFORM_FUNCTION"] = "arn:aws:lambda:us-east-1:000000000000:function:sfn-transform:live",
            ["AWS_ENDPOINT_URL_LAMBDA"] = invokeApi.Endpoint.ToString(),
        }))
        {
            await Mapping(env, function, new InMemoryShardCheckpointStore(), batchSize: 250).DrainAsync();
            Assert.True(await SinkEnvironment.FlushAllAsync(function, attempts: 1), "a flush of everything left records undelivered");
        }

        Assert.True(invokeApi.Calls >= 3, $"{invokeApi.Calls} invocations");
        Assert.Equal(0, invokeApi.Unsigned);

        // The contract carries no reason for ProcessingFailed: the error record names the function that reported it.
        await AssertMixedOutcomeAsync(env, Count, "sfn-transform:live reported ProcessingFailed");
    }

    [Fact(Timeout = 120_000)]
    public async Task Sink_KafkaEventToParquet_RowsOnceNonObjectsToErrorsAndRedeliveryRewritesNothing()
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        await using var function = env.Function("S3Sink", new() { ["SINK_FORMAT"] = "parquet", ["SINK_BUFFER_INTERVAL_SECONDS"] = "0", ["SINK_PREFIX"] = "tables/clicks/" });
        var evnt = Clicks(100, 1_000, (p, i) => p == 1 && i == 50 ? "[150]" : $$"""{"n":{{(p * 100) + i}},"user":"u{{i % 5}}","amount":{{i * 1.5}}}""");
        var payload = JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KafkaEvent);

        var first = await function.InvokeAsync(payload);
        var keys = await env.KeysAsync("tables/");
        Assert.Single(await env.KeysAsync("errors/"));
        var again = await function.InvokeAsync(payload);

        Assert.True(first.Succeeded && again.Succeeded, Encoding.UTF8.GetString(first.Payload.Span) + Encoding.UTF8.GetString(again.Payload.Span));
        Assert.Equal(["tables/clicks/clicks-0-1000-1099.parquet", "tables/clicks/clicks-1-1000-1099.parquet"], keys.Order());
        Assert.Equal(keys.Order(), (await env.KeysAsync("tables/")).Order());
        var numbers = new List<long>();
        foreach (var key in keys)
        {
            await using var reader = await ParquetReader.CreateAsync(new MemoryStream(await env.ObjectAsync(key)));
            var column = reader.Schema.GetDataFields().Single(f => f.Name == "n");
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var values = new long?[group.RowCount];
                await group.ReadAsync(column, values.AsMemory(), null);
                numbers.AddRange(values.Select(v => v!.Value));
            }
        }

        Assert.Equal(Enumerable.Range(0, 200).Where(i => i != 150).Select(i => (long)i), numbers.Order());
        var failed = Assert.Single(await env.LinesAsync("errors/format-conversion-failed/"));
        using var error = JsonDocument.Parse(failed.Line);
        Assert.Equal("[150]", Encoding.UTF8.GetString(error.RootElement.GetProperty("rawData").GetBytesFromBase64()));
        Assert.Contains("not one JSON object", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Sink_ParquetPartitionWithConflictingTypes_WholePartitionToErrorPrefixOthersDelivered()
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();

        // Row groups of 10 records: partition 0's first group makes "amount" a number column, then record 15 holds
        // text, which no column of that file can take. Partition 1 is consistent.
        var sink = new S3Sink(env.S3, new InMemorySinkStateStore(), new S3SinkOptions
        {
            Bucket = env.Bucket,
            Prefix = "tables/clicks/",
            Format = SinkFormat.Parquet,
            Parquet = new ParquetObjectOptions { RowGroupRecords = 10 },
            BufferInterval = TimeSpan.Zero,
        });
        var evnt = Clicks(40, 500, (p, i) => p == 0 && i == 15 ? $$"""{"n":{{i}},"amount":"lots"}""" : $$"""{"n":{{(p * 100) + i}},"amount":{{i}}}""");

        await sink.WriteAsync(evnt, DateTimeOffset.MaxValue);
        await sink.WriteAsync(evnt, DateTimeOffset.MaxValue);

        Assert.Equal(["tables/clicks/clicks-1-500-539.parquet"], await env.KeysAsync("tables/"));
        var failed = await env.LinesAsync("errors/format-conversion-failed/");
        Assert.Single(failed.Select(f => f.Key).Distinct());
        var numbers = new List<int>();
        foreach (var (_, line) in failed)
        {
            using var error = JsonDocument.Parse(line);
            Assert.Equal("DataFormatConversion.InvalidSchema", error.RootElement.GetProperty("errorCode").GetString());
            Assert.Contains("does not fit", error.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
            using var raw = JsonDocument.Parse(error.RootElement.GetProperty("rawData").GetBytesFromBase64());
            numbers.Add(raw.RootElement.GetProperty("n").GetInt32());
        }

        Assert.Equal(Enumerable.Range(0, 40), numbers.Order());
    }

    // A Kafka event of topic "clicks", partitions 0 and 1, each with records at offsets first … first + count − 1 keyed u0–u4.
    private static KafkaEvent Clicks(int count, long first, Func<int, int, string> value) => new()
    {
        EventSource = "aws:kafka",
        EventSourceArn = "arn:aws:kafka:us-east-1:123456789012:cluster/local/abc",
        Records = Enumerable.Range(0, 2).ToDictionary(p => $"clicks-{p}", p => (IList<KafkaEventRecord>)[.. Enumerable.Range(0, count).Select(i => new KafkaEventRecord
        {
            Topic = "clicks",
            Partition = p,
            Offset = first + i,
            Timestamp = 1_700_000_000_000 + i,
            TimestampType = "CREATE_TIME",
            Key = Encoding.UTF8.GetBytes($"u{i % 5}"),
            Value = Encoding.UTF8.GetBytes(value(p, i)),
            Headers = [],
        })]),
    };

    internal static string Json(int n) => $$"""{"n":{{n}},"type":"click","user":{"id":"u{{n % 23}}"},"pad":"{{Padding}}"}""";

    internal static KinesisEventSourceMapping Mapping(SinkEnvironment env, Lambda.Invocation.ILambdaInvoker function, InMemoryShardCheckpointStore checkpoints, int batchSize) =>
        new(env.Kinesis, function, new KinesisEventSourceOptions { StreamName = env.Stream, BatchSize = batchSize, PollInterval = TimeSpan.Zero, MaximumRetryAttempts = 4 }, checkpoints);

    // Every 5th record is "other" (dropped), every 7th is not JSON (processing failed), every 11th has no customer (partitioning failed).
    private static string Mixed(int n) =>
        n % 7 == 3 ? $"not json {n}"
        : n % 11 == 4 ? $$"""{"n":{{n}},"type":"view"}"""
        : $$"""{"n":{{n}},"type":"{{(n % 5 == 0 ? "other" : n % 2 == 0 ? "click" : "view")}}","customer":"c{{n % 3}}","secret":"s"}""";

    private static async Task AssertMixedOutcomeAsync(SinkEnvironment env, int count, string failureMessage)
    {
        static bool NotJson(int n) => n % 7 == 3;
        static bool NoCustomer(int n) => !NotJson(n) && n % 11 == 4;
        static bool Other(int n) => !NotJson(n) && !NoCustomer(n) && n % 5 == 0;
        var all = Enumerable.Range(0, count).ToList();

        var data = await env.LinesAsync("data/");
        var expected = all.Where(n => !NotJson(n) && !NoCustomer(n) && !Other(n)).ToList();
        Assert.Equal(expected, data.Select(d => SinkEnvironment.N(d.Line)).Order());
        foreach (var (key, line) in data)
        {
            var n = SinkEnvironment.N(line);
            Assert.StartsWith($"data/type={(n % 2 == 0 ? "click" : "view")}/customer=c{n % 3}/", key, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", line, StringComparison.Ordinal);
        }

        var failed = await env.LinesAsync("errors/processing-failed/");
        Assert.Equal(all.Where(NotJson), failed.Select(f => Raw(f.Line)).Select(r => int.Parse(r["not json ".Length..], System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.All(failed, f => Assert.Contains(failureMessage, Field(f.Line, "errorMessage"), StringComparison.Ordinal));
        Assert.All(failed, f => Assert.Equal("Lambda.ProcessingFailed", Field(f.Line, "errorCode")));

        var unpartitioned = await env.LinesAsync("errors/partitioning-failed/");
        Assert.Equal(all.Where(NoCustomer), unpartitioned.Select(f => SinkEnvironment.N(Raw(f.Line))).Order());
        Assert.All(unpartitioned, f => Assert.Contains("customer", Field(f.Line, "errorMessage"), StringComparison.Ordinal));
    }

    private static string Field(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty(name).GetString()!;
    }

    private static string Raw(string errorLine)
    {
        using var document = JsonDocument.Parse(errorLine);
        return Encoding.UTF8.GetString(document.RootElement.GetProperty("rawData").GetBytesFromBase64());
    }
}
