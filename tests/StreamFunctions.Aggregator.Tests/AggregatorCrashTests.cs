using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Aggregator.Tests;

/// <summary>
/// The Aggregator function under the ESM runner against the emulators, killed (as kill -9 does) at each stage
/// of a batch and restarted; the batch is redelivered and replays on the committed state. Every window's count
/// and sum must equal what the events (worked out here independently) give: nothing lost, nothing counted twice;
/// the late events are in the side output exactly once.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class AggregatorCrashTests(LocalAwsFixture aws) : IAsyncLifetime
{
    internal const int Count = 1_200;
    internal const string Config = """
        {"name": "orders", "key": "$.customer", "time": "$.ts",
         "window": {"type": "tumbling", "size": "10s"}, "outOfOrderness": "2s",
         "aggregates": [{"name": "n", "function": "count"}, {"name": "revenue", "function": "sum", "field": "$.amount"}]}
        """;

    private readonly IAmazonDynamoDB _dynamo = aws.Clients.CreateDynamoDBClient();
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);
    private readonly string _stream = LocalAwsFixture.UniqueName("sfn-agg-src");
    private readonly string _state = LocalAwsFixture.UniqueName("sfn-agg-state");
    private readonly string _results = LocalAwsFixture.UniqueName("sfn-agg-results");
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-agg-late");
    private readonly string _marker = Path.Combine(Path.GetTempPath(), LocalAwsFixture.UniqueName("sfn-failpoint"));

    public async Task InitializeAsync()
    {
        await _kinesis.CreateActiveAsync(_stream, 1);
        await DynamoDbAggregatorStateStore.CreateTableAsync(_dynamo, _state);
        await DynamoDbWindowResultWriter.CreateTableAsync(_dynamo, _results);
        await _s3.PutBucketAsync(_bucket);
    }

    [Theory(Timeout = 300_000)]
    [InlineData(null)]
    [InlineData("AfterResults:4")]
    [InlineData("AfterSideOutput:5")]
    [InlineData("AfterCommit:3")]
    public async Task Aggregator_KilledAtStageAndRestarted_CountsExact(string? failpoint)
    {
        var events = Enumerable.Range(0, Count).Select(Event).ToList();
        var last = string.Empty;
        foreach (var page in events.Chunk(500))
        {
            var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(_stream, [.. page.Select(e => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes(e.Json), e.Customer))]));
            Assert.Equal(0, put.FailedRecordCount);
            last = put.Records[^1].SequenceNumber!;
        }

        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>())
        {
            ["AGGREGATOR_CONFIG"] = Config,
            ["AGGREGATOR_STATE_TABLE"] = _state,
            ["AGGREGATOR_RESULTS_TABLE"] = _results,
            ["AGGREGATOR_SIDE_OUTPUT_BUCKET"] = _bucket,
        };
        if (failpoint is not null)
        {
            environment["STREAMFUNCTIONS_FAILPOINT"] = failpoint;
            environment["STREAMFUNCTIONS_FAILPOINT_MARKER"] = _marker;
        }

        using var logs = new StringWriter();
        var checkpoints = new InMemoryShardCheckpointStore();
        await using (var function = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Aggregator"), new LocalFunctionOptions { FunctionName = "Aggregator", Timeout = TimeSpan.FromSeconds(60), Environment = environment }, TextWriter.Synchronized(logs)))
        {
            var mapping = new KinesisEventSourceMapping(_kinesis, function, new KinesisEventSourceOptions { StreamName = _stream, BatchSize = 100, PollInterval = TimeSpan.Zero, MaximumRetryAttempts = 4 }, checkpoints);
            await mapping.DrainAsync();
            if (failpoint is not null)
            {
                Assert.True(File.Exists(_marker), $"the process was not killed at {failpoint}");
                Assert.True(function.ColdStarts >= 2, "the crash did not restart the function");
            }
        }

        // The expected windows, from the events alone: the very late ones are out, the sentinel's window never closes.
        var expected = events.Where(e => !e.VeryLate && e.Customer != "sentinel")
            .GroupBy(e => (e.Customer, Start: e.Ts - (e.Ts % 10_000)))
            .ToDictionary(g => $"orders/{g.Key.Customer}/{g.Key.Start}-{g.Key.Start + 10_000}", g => (Count: (long)g.Count(), Sum: g.Sum(e => e.Amount)));
        var actual = await ResultsAsync();
        Assert.True(expected.Count == actual.Count, $"{actual.Count} results, expected {expected.Count}; logs:\n{Tail(logs)}");
        foreach (var (key, (count, sum)) in expected)
        {
            Assert.True(actual.TryGetValue(key, out var got), $"no result {key}");
            Assert.Equal(count, got.Count);
            Assert.Equal(sum, got.Sum);
        }

        var late = await LateEventsAsync(_s3, _bucket);
        Assert.Equal(events.Where(e => e.VeryLate).Select(e => e.N).Order(), late.Order());
        Assert.Equal(last, (await checkpoints.GetAsync("shardId-000000000000"))?.SequenceNumber);
    }

    public async Task DisposeAsync()
    {
        var objects = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        foreach (var o in objects.S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
        await _dynamo.DeleteTableAsync(_state);
        await _dynamo.DeleteTableAsync(_results);
        await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(_stream));
        File.Delete(_marker);
        _dynamo.Dispose();
        _s3.Dispose();
        _kinesis.Dispose();
    }

    // 10 customers, ~25 events per second of event time, up to 1.5 s out of order; every 97th event (after the
    // first 400) is a minute old: later than any watermark could allow, whatever the batch boundaries. The last
    // event is a sentinel an hour ahead, which moves the watermark past every other window.
    internal static (int N, string Customer, long Ts, long Amount, bool VeryLate, string Json) Event(int n)
    {
        var random = new Random(n);
        var customer = n == Count - 1 ? "sentinel" : $"c{n % 10}";
        var ts = 1_700_000_000_000L + (n * 40L) - random.Next(1_500);
        var veryLate = n >= 400 && n % 97 == 0 && customer != "sentinel";
        if (veryLate)
        {
            ts -= 60_000;
        }

        if (customer == "sentinel")
        {
            ts += 3_600_000;
        }

        var amount = random.Next(1, 1000);
        return (n, customer, ts, amount, veryLate, $$"""{"n":{{n}},"customer":"{{customer}}","ts":{{ts}},"amount":{{amount}}}""");
    }

    private async Task<Dictionary<string, (long Count, long Sum)>> ResultsAsync()
    {
        var results = new Dictionary<string, (long, long)>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await _dynamo.ScanAsync(new ScanRequest { TableName = _results, ExclusiveStartKey = start, ConsistentRead = true });
            foreach (var item in page.Items ?? [])
            {
                results[item["resultKey"].S] = (long.Parse(item["n"].N, CultureInfo.InvariantCulture), (long)double.Parse(item["revenue"].N, CultureInfo.InvariantCulture));
            }

            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return results;
    }

    /// <summary>The numbers of the events in the side output under <paramref name="prefix"/>, each checked to be there as late.</summary>
    internal static async Task<List<int>> LateEventsAsync(IAmazonS3 s3, string bucket, string prefix = "")
    {
        var numbers = new List<int>();
        foreach (var line in await LinesAsync(s3, bucket, prefix))
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal("late", document.RootElement.GetProperty("reason").GetString());
            using var data = JsonDocument.Parse(document.RootElement.GetProperty("data").GetBytesFromBase64());
            numbers.Add(data.RootElement.GetProperty("n").GetInt32());
        }

        return numbers;
    }

    /// <summary>The lines of every (uncompressed) object under <paramref name="prefix"/>.</summary>
    internal static async Task<List<string>> LinesAsync(IAmazonS3 s3, string bucket, string prefix)
    {
        var lines = new List<string>();
        var objects = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix });
        foreach (var o in objects.S3Objects ?? [])
        {
            using var response = await s3.GetObjectAsync(bucket, o.Key);
            using var reader = new StreamReader(response.ResponseStream);
            lines.AddRange((await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        return lines;
    }

    private static string Tail(StringWriter logs)
    {
        lock (logs)
        {
            return string.Join('\n', logs.ToString().Split('\n').TakeLast(30));
        }
    }
}
