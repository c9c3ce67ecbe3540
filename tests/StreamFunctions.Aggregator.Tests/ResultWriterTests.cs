using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Parquet;
using StreamFunctions.Formats.Compression;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Producers;
using StreamFunctions.Testing;

namespace StreamFunctions.Aggregator.Tests;

/// <summary>Where results go besides DynamoDB: S3 objects (JSON lines, Parquet) and a stream; and the Kafka trigger.</summary>
public sealed class ResultTargetTests
{
    [Theory]
    [InlineData("dynamodb:results", "dynamodb:results")]
    [InlineData("s3://bucket/results", "s3://bucket/results/")]
    [InlineData("s3://bucket", "s3://bucket/")]
    [InlineData("kinesis:out", "kinesis:out")]
    [InlineData("KAFKA:windows", "kafka:windows")]
    public void Parse_EachForm_RoundTrips(string text, string expected) => Assert.Equal(expected, WindowResultTarget.Parse(text).ToString());

    [Theory]
    [InlineData("results")]
    [InlineData("sqs:queue")]
    [InlineData("kinesis:")]
    [InlineData("s3:///prefix")]
    public void Parse_Unknown_RefusedWithTheForms(string text)
    {
        var e = Assert.Throws<FormatException>(() => WindowResultTarget.Parse(text));
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task StreamWriter_GroupKeyLongerThanAPartitionKey_ThatRecordIsInvalidAndTheBatchCommits() => OnEmbeddedStreamAsync(async kinesis =>
    {
        // A result is keyed by its group key (Kinesis: 1-256 characters; DynamoDB: 2,048 bytes of resultKey): one key
        // no result can be written under failed the batch at every redelivery.
        var aggregator = new StreamWindowAggregator(AggregatorConfig.Parse(KinesisEvents.CountConfig), new InMemoryAggregatorStateStore(), new StreamWindowResultWriter(new KinesisRecordProducer(kinesis, "windows")));
        var longKey = new string('k', 257);

        var result = await aggregator.ProcessAsync(KinesisEvents.Of(["""{"k":"a","t":1700000000000}""", $$"""{"k":"{{longKey}}","t":1700000000000}""", """{"k":"a","t":1700000100000}"""]));

        Assert.Equal((3, 1, 1), (result.Records, result.Invalid, result.Results));
        var iterator = await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest("windows", "shardId-000000000000", ShardIteratorType.TrimHorizon));
        Assert.Equal(["a"], (await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator.ShardIterator!))).Records.Select(r => r.PartitionKey));
    });

    [Fact]
    public Task StreamWriter_ResultsAsRecordsKeyedByGroupKey_OnTheEmbeddedLog() => OnEmbeddedStreamAsync(async kinesis =>
    {
        var aggregator = new StreamWindowAggregator(AggregatorConfig.Parse(KafkaEvents.Config), new InMemoryAggregatorStateStore(), new StreamWindowResultWriter(new KinesisRecordProducer(kinesis, "windows")));

        await aggregator.ProcessAsync(KafkaEvents.Orders(0, 60));

        var iterator = await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest("windows", "shardId-000000000000", ShardIteratorType.TrimHorizon));
        var records = (await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator.ShardIterator!))).Records;
        var lines = records.Select(r => (r.PartitionKey, Json: JsonDocument.Parse(r.Data))).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Equal(l.PartitionKey, l.Json.RootElement.GetProperty("groupKey").GetString()));
        Assert.Equal(KafkaEvents.Expected(0, 60, closedOnly: true), KafkaEvents.Latest(lines.Select(l => l.Json.RootElement)));
    });

    // An embedded stream log with a one-shard stream "windows", in a folder removed afterwards.
    private static async Task OnEmbeddedStreamAsync(Func<EmbeddedKinesis, Task> test)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sfn-agg-results-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = directory });
            await kinesis.CreateStreamAsync(new CreateStreamRequest("windows", 1));
            await test(kinesis);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>The Aggregator function on Kafka events with results to S3, killed once after writing results and invoked again.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class S3ResultsFromKafkaTests(LocalAwsFixture aws) : IAsyncLifetime
{
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly Amazon.DynamoDBv2.IAmazonDynamoDB _dynamo = aws.Clients.CreateDynamoDBClient();
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-agg-results");
    private readonly string _state = LocalAwsFixture.UniqueName("sfn-agg-state");
    private readonly string _marker = Path.Combine(Path.GetTempPath(), LocalAwsFixture.UniqueName("sfn-failpoint"));

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        await DynamoDbAggregatorStateStore.CreateTableAsync(_dynamo, _state);
    }

    [Theory(Timeout = 180_000)]
    [InlineData("jsonl", "AfterResults:2")]
    [InlineData("parquet", "AfterSideOutput:3")]
    public async Task Aggregator_KafkaBatchesToS3_SameObjectsAsAnUninterruptedRunAndExactCounts(string format, string failpoint)
    {
        // The same six Kafka batches twice: once clean, once killed at the failpoint and redelivered (as Lambda
        // retries a failed Kafka batch). Both runs must leave the same objects with the same results.
        var clean = await RunAsync(format, "clean/", failpoint: null);
        var crashed = await RunAsync(format, "crashed/", failpoint);

        Assert.True(File.Exists(_marker), $"the process was not killed at {failpoint}");
        Assert.Equal(clean.Keys.Order(StringComparer.Ordinal), crashed.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, results) in clean)
        {
            Assert.Equal(results, crashed[key]);
        }

        Assert.All(clean.Keys, k => Assert.EndsWith(format == "parquet" ? ".parquet" : ".jsonl.gz", k, StringComparison.Ordinal));
        Assert.Equal(KafkaEvents.Expected(0, 360, closedOnly: true), KafkaEvents.Latest(clean.Values.SelectMany(r => r).Select(r => JsonDocument.Parse(r).RootElement)));
    }

    public async Task DisposeAsync()
    {
        foreach (var o in (await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket })).S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
        await _dynamo.DeleteTableAsync(_state);
        File.Delete(_marker);
        _s3.Dispose();
        _dynamo.Dispose();
    }

    // Runs the batches through the function process; returns each object (relative to the run's prefix) as its results' JSON lines.
    private async Task<Dictionary<string, List<string>>> RunAsync(string format, string prefix, string? failpoint)
    {
        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>())
        {
            ["AGGREGATOR_CONFIG"] = KafkaEvents.Config.Replace("\"orders\"", $"\"orders-{prefix.TrimEnd('/')}\"", StringComparison.Ordinal),
            ["AGGREGATOR_STATE_TABLE"] = _state,
            ["AGGREGATOR_RESULTS"] = $"s3://{_bucket}/{prefix}",
            ["AGGREGATOR_RESULTS_FORMAT"] = format,
        };
        if (failpoint is not null)
        {
            environment["STREAMFUNCTIONS_FAILPOINT"] = failpoint;
            environment["STREAMFUNCTIONS_FAILPOINT_MARKER"] = _marker;
        }

        await using (var function = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Aggregator"), new LocalFunctionOptions { FunctionName = "Aggregator", Timeout = TimeSpan.FromSeconds(60), Environment = environment }, TextWriter.Null))
        {
            for (var batch = 0; batch < 6; batch++)
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(KafkaEvents.Orders(batch * 60, 60), LambdaEventsJsonContext.Default.KafkaEvent);
                var attempts = 0;
                while (!(await function.InvokeAsync(payload)).Succeeded)
                {
                    Assert.True(++attempts < 3, $"batch {batch} keeps failing");
                }
            }
        }

        var objects = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var o in (await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix })).S3Objects ?? [])
        {
            using var response = await _s3.GetObjectAsync(_bucket, o.Key);
            using var body = new MemoryStream();
            await response.ResponseStream.CopyToAsync(body);
            body.Position = 0;
            objects[o.Key[prefix.Length..].Replace($"orders-{prefix.TrimEnd('/')}", "orders", StringComparison.Ordinal)] = format == "parquet" ? await ParquetRowsAsync(body) : GzipLines(body);
        }

        return objects;
    }

    private static List<string> GzipLines(Stream body)
    {
        using var reader = new StreamReader(CompressionStreams.CreateDecompressor(body, CompressionCodec.Gzip));
        return [.. reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Normalize)];
    }

    // Rows as the same JSON shape as the lines (aggregation name normalized), to compare runs and count.
    private static async Task<List<string>> ParquetRowsAsync(Stream body)
    {
        await using var reader = await ParquetReader.CreateAsync(body);
        var fields = reader.Schema.GetDataFields();
        var rows = new List<string>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var columns = new List<Array>();
            foreach (var field in fields)
            {
                var n = (int)group.RowCount;
                if (field.ClrType != typeof(long) && field.ClrType != typeof(double) && field.ClrType != typeof(bool))
                {
                    var text = new string?[n];
                    await group.ReadAsync(field, text.AsMemory(), null);
                    columns.Add(text);
                }
                else
                {
                    columns.Add(field.ClrType == typeof(long) ? await ReadAsync(group, field, new long?[n])
                        : field.ClrType == typeof(double) ? await ReadAsync(group, field, new double?[n])
                        : await ReadAsync(group, field, new bool?[n]));
                }
            }

            for (var r = 0; r < group.RowCount; r++)
            {
                var row = fields.Select((f, c) => (f.Name, Value: columns[c].GetValue(r))).ToDictionary(x => x.Name, x => x.Value);
                rows.Add(Normalize(JsonSerializer.Serialize(row.ToDictionary(p => p.Key, p => p.Value?.ToString()))));
            }
        }

        return rows;
    }

    private static async Task<Array> ReadAsync<T>(ParquetRowGroupReader group, Parquet.Schema.DataField field, T?[] values)
        where T : struct
    {
        await group.ReadAsync(field, values.AsMemory(), null);
        return values;
    }

    private static string Normalize(string line) => System.Text.RegularExpressions.Regex.Replace(line, "orders-(clean|crashed)", "orders");
}

/// <summary>Kinesis batches of JSON records, one shard, arriving at 1700000100000.</summary>
internal static class KinesisEvents
{
    /// <summary>A count per <c>$.k</c> in one-minute windows of <c>$.t</c>.</summary>
    public const string CountConfig = """{"name":"n","key":"$.k","time":"$.t","window":{"type":"tumbling","size":"1m"},"aggregates":[{"name":"n","function":"count"}]}""";

    public static KinesisEvent Of(IEnumerable<string> records) => new()
    {
        Records = [.. records.Select((r, i) => new KinesisEventRecord
        {
            EventSource = "aws:kinesis",
            EventSourceArn = "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            EventId = $"shardId-000000000000:{100 + i}",
            Kinesis = new Lambda.Events.Kinesis.KinesisRecord
            {
                PartitionKey = "a",
                SequenceNumber = (100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Data = Encoding.UTF8.GetBytes(r),
                ApproximateArrivalTimestamp = DateTimeOffset.FromUnixTimeMilliseconds(1700000100000),
            },
        })],
    };
}

/// <summary>Kafka batches of orders and what their windows must hold.</summary>
internal static class KafkaEvents
{
    public const string Config = """
        {"name": "orders", "key": "$.customer", "time": "$.ts",
         "window": {"type": "tumbling", "size": "10s"}, "outOfOrderness": "1s",
         "aggregates": [{"name": "n", "function": "count"}, {"name": "revenue", "function": "sum", "field": "$.amount"}]}
        """;

    // Order i: customer c(i % 6) on partition (i % 6) % 2, at 1700000000000 + 250 ms × i, shuffled by up to 0.5 s; amount i % 50.
    public static KafkaEvent Orders(int first, int count) => new()
    {
        EventSource = "aws:kafka",
        EventSourceArn = "arn:aws:kafka:us-east-1:123456789012:cluster/local/abc",
        Records = Enumerable.Range(first, count).GroupBy(i => i % 6 % 2).ToDictionary(g => $"orders-{g.Key}", g => (IList<KafkaEventRecord>)[.. g.Select(i => new KafkaEventRecord
        {
            Topic = "orders",
            Partition = g.Key,
            Offset = i,
            Timestamp = Time(i),
            TimestampType = "CREATE_TIME",
            Key = Encoding.UTF8.GetBytes($"c{i % 6}"),
            Value = Encoding.UTF8.GetBytes($$"""{"customer":"c{{i % 6}}","ts":{{Time(i)}},"amount":{{i % 50}}}"""),
            Headers = [],
        })]),
    };

    // The windows of orders first … first + count − 1, by result key; closedOnly keeps those each partition's watermark (its largest time − 1 s − 1 ms) has passed.
    public static SortedDictionary<string, (long, double)> Expected(int first, int count, bool closedOnly)
    {
        var orders = Enumerable.Range(first, count).ToList();
        var watermarks = orders.GroupBy(i => i % 6 % 2).ToDictionary(g => g.Key, g => g.Max(Time) - 1_001);
        return new(orders
            .GroupBy(i => (Customer: i % 6, Start: Time(i) - (Time(i) % 10_000)))
            .Where(g => !closedOnly || g.Key.Start + 10_000 - 1 <= watermarks[g.Key.Customer % 2])
            .ToDictionary(g => $"orders/c{g.Key.Customer}/{g.Key.Start}-{g.Key.Start + 10_000}", g => ((long)g.Count(), (double)g.Sum(i => i % 50))), StringComparer.Ordinal);
    }

    // The latest result per key (a later batch of the same shard wins), as (count, revenue).
    public static SortedDictionary<string, (long, double)> Latest(IEnumerable<JsonElement> results) =>
        new(results
            .GroupBy(r => r.GetProperty("resultKey").GetString()!)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => long.Parse(r.GetProperty("batch").GetString()!.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture)).Last())
            .ToDictionary(p => p.Key, p => (Number(p.Value.GetProperty("count")), (double)Number(p.Value.GetProperty("revenue")))), StringComparer.Ordinal);

    private static long Number(JsonElement e) => e.ValueKind == JsonValueKind.String ? (long)double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : (long)e.GetDouble();

    private static long Time(int i) => 1_700_000_000_000L + (i * 250L) - ((i * 7919) % 500);
}
