using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Faults;
using Xunit.Abstractions;

namespace StreamFunctions.Aggregator.Tests;

/// <summary>
/// The fault suite's kill -9 scenario for the Aggregator: 50 seeded iterations, each with a fresh state table and
/// results bucket, reading the same stream through the ESM runner, with the function process killed at 1–3 random
/// points of its DynamoDB and S3 traffic (before a request reaches the service, or just after it acted). Results go
/// to S3 as JSON lines, so a window emitted twice would show as two rows: every closed window must appear exactly
/// once, with the count and sum worked out here from the events; every very late event must be in the side output
/// exactly once; the checkpoint only moves forwards and ends on the last record. A failure names the seed;
/// <c>SFN_FAULT_SEED=&lt;seed&gt;</c> reruns that iteration alone.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
[Trait(TestCategories.Suite, TestCategories.Faults)]
public sealed class AggregatorKillTests(LocalAwsFixture aws, ITestOutputHelper output)
{
    private const int Iterations = 50;
    private const int BaseSeed = 9_000;

    [Fact(Timeout = 900_000)]
    public async Task Aggregator_KilledAtRandomPoints_50SeededIterations_EveryWindowOnceAndExact()
    {
        var stream = LocalAwsFixture.UniqueName("sfn-agg-kill");
        using var kinesis = KinesisClient.Create(aws.Settings);
        await kinesis.CreateActiveAsync(stream, 1);
        var events = Enumerable.Range(0, AggregatorCrashTests.Count).Select(AggregatorCrashTests.Event).ToList();
        var last = string.Empty;
        foreach (var page in events.Chunk(500))
        {
            var put = await kinesis.PutRecordsAsync(new PutRecordsRequest(stream, [.. page.Select(e => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes(e.Json), e.Customer))]));
            Assert.Equal(0, put.FailedRecordCount);
            last = put.Records[^1].SequenceNumber!;
        }

        var expected = events.Where(e => !e.VeryLate && e.Customer != "sentinel")
            .GroupBy(e => (e.Customer, Start: e.Ts - (e.Ts % 10_000)))
            .ToDictionary(g => $"orders/{g.Key.Customer}/{g.Key.Start}-{g.Key.Start + 10_000}", g => (Count: (long)g.Count(), Sum: g.Sum(e => e.Amount)));
        var late = events.Where(e => e.VeryLate).Select(e => e.N).Order().ToList();

        var baseline = await RunAsync(stream, last, expected, late, new KillSchedule([]));
        Assert.Equal(0, baseline.Kills);
        var seeds = KillSchedule.Seeds(BaseSeed + 1, Iterations);
        var kills = 0;
        foreach (var seed in seeds)
        {
            var schedule = KillSchedule.FromSeed(seed, baseline.Requests, maxKills: 3);
            var run = await RunAsync(stream, last, expected, late, schedule);
            Assert.True(run.Kills > 0, $"{schedule}: no kill happened ({run.Requests} requests)");
            kills += run.Kills;
        }

        output.WriteLine($"aggregator kill -9: {seeds.Length} iterations x {events.Count} events ({expected.Count} windows), {kills} kills, {baseline.Requests} requests per uninterrupted run; lost 0, duplicated 0");
        await kinesis.DeleteStreamAsync(new DeleteStreamRequest(stream));
    }

    private async Task<(int Requests, int Kills)> RunAsync(string stream, string last, Dictionary<string, (long Count, long Sum)> expected, List<int> late, KillSchedule schedule)
    {
        using var dynamo = aws.Clients.CreateDynamoDBClient();
        using var s3 = aws.Clients.CreateS3Client();
        var state = LocalAwsFixture.UniqueName("sfn-agg-state");
        var bucket = LocalAwsFixture.UniqueName("sfn-agg-out");
        await DynamoDbAggregatorStateStore.CreateTableAsync(dynamo, state);
        await s3.PutBucketAsync(bucket);
        try
        {
            using var s3Proxy = new HttpFaultProxy(aws.Settings.GetEndpoint(AwsService.S3)!, schedule.Handler);
            using var dynamoProxy = new HttpFaultProxy(aws.Settings.GetEndpoint(AwsService.DynamoDB)!, schedule.Handler);
            var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>())
            {
                ["AWS_ENDPOINT_URL_S3"] = s3Proxy.Endpoint.ToString(),
                ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamoProxy.Endpoint.ToString(),
                ["AGGREGATOR_CONFIG"] = AggregatorCrashTests.Config,
                ["AGGREGATOR_STATE_TABLE"] = state,
                ["AGGREGATOR_RESULTS"] = $"s3://{bucket}/results/",
                ["AGGREGATOR_RESULTS_COMPRESSION"] = "none",
                ["AGGREGATOR_SIDE_OUTPUT_BUCKET"] = bucket,
            };
            using var logs = new StringWriter();
            var checkpoints = new MonotonicCheckpointStore(new InMemoryShardCheckpointStore());
            await using (var function = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Aggregator"), new LocalFunctionOptions { FunctionName = "Aggregator", Timeout = TimeSpan.FromSeconds(60), Environment = environment }, TextWriter.Synchronized(logs)))
            {
                schedule.Kill = function.Kill;
                var mapping = new KinesisEventSourceMapping(KinesisClient.Create(aws.Settings), function, new KinesisEventSourceOptions { StreamName = stream, BatchSize = 100, PollInterval = TimeSpan.Zero, MaximumRetryAttempts = 10 }, checkpoints);
                await mapping.DrainAsync();
            }

            string Tail()
            {
                lock (logs)
                {
                    return string.Join('\n', logs.ToString().Split('\n').TakeLast(30));
                }
            }

            Assert.True(checkpoints.Violations.Count == 0, $"{schedule}: {string.Join("; ", checkpoints.Violations)}");
            var rows = new List<(string Key, long Count, long Sum)>();
            foreach (var line in await AggregatorCrashTests.LinesAsync(s3, bucket, "results/"))
            {
                using var row = JsonDocument.Parse(line);
                var r = row.RootElement;
                rows.Add((r.GetProperty("resultKey").GetString()!, r.GetProperty("n").GetInt64(), (long)r.GetProperty("revenue").GetDouble()));
            }

            var twice = rows.GroupBy(r => r.Key).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"{schedule}: {twice.Count} windows emitted more than once (first {string.Join(", ", twice.Take(3))}); logs:\n{Tail()}");
            Assert.True(rows.Count == expected.Count, $"{schedule}: {rows.Count} windows, expected {expected.Count}; logs:\n{Tail()}");
            foreach (var (key, count, sum) in rows)
            {
                Assert.True(expected.TryGetValue(key, out var want) && want == (count, sum), $"{schedule}: window {key} is ({count}, {sum}), expected {(expected.TryGetValue(key, out var w) ? w.ToString() : "none")}");
            }

            var side = await AggregatorCrashTests.LateEventsAsync(s3, bucket, "late/");

            Assert.True(late.SequenceEqual(side.Order()), $"{schedule}: the side output holds {side.Count} late events, expected {late.Count} once each");
            Assert.Equal(last, (await checkpoints.GetAsync("shardId-000000000000"))?.SequenceNumber);
            return (schedule.Requests, schedule.Kills);
        }
        finally
        {
            await DeleteAsync(s3, dynamo, bucket, state);
        }
    }

    private static async Task DeleteAsync(IAmazonS3 s3, IAmazonDynamoDB dynamo, string bucket, string state)
    {
        var objects = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        foreach (var o in objects.S3Objects ?? [])
        {
            await s3.DeleteObjectAsync(bucket, o.Key);
        }

        await s3.DeleteBucketAsync(bucket);
        await dynamo.DeleteTableAsync(state);
    }
}
