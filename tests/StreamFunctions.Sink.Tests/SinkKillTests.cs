using System.Text;
using StreamFunctions.Aws;
using StreamFunctions.Formats.Compression;
using StreamFunctions.KinesisApi;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Faults;
using Xunit.Abstractions;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The fault suite's kill -9 scenario for the S3Sink: 50 seeded iterations, each a fresh bucket and state table
/// reading the same two-shard stream through the ESM runner, with the function process killed at 1–3 random
/// points of its S3 and DynamoDB traffic (before a request reaches the service, or just after it acted). After
/// the drain and a final flush, every record is in S3 exactly once, no shard state is left, and every checkpoint
/// moved only forwards and ended on the shard's last record. Iterations alternate delivery on every batch and
/// delivery at the flush, and plain and GZIP objects. A failure names the seed; <c>SFN_FAULT_SEED=&lt;seed&gt;</c>
/// reruns that iteration alone.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
[Trait(TestCategories.Suite, TestCategories.Faults)]
public sealed class SinkKillTests(LocalAwsFixture aws, ITestOutputHelper output)
{
    private const int Count = 800;
    private const int Iterations = 50;
    private const int BaseSeed = 7_000; // a multiple of 4: seed % 4 picks the configuration

    [Fact(Timeout = 900_000)]
    public async Task Sink_KilledAtRandomPoints_50SeededIterations_EveryRecordExactlyOnce()
    {
        var stream = LocalAwsFixture.UniqueName("sfn-sink-kill");
        using var kinesis = Aws.Kinesis.KinesisClient.Create(aws.Settings);
        await kinesis.CreateActiveAsync(stream, 2);
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in Enumerable.Range(0, Count).Chunk(200))
        {
            var put = await kinesis.PutRecordsAsync(new KinesisApi.Model.PutRecordsRequest(stream, [.. chunk.Select(n => new KinesisApi.Model.PutRecordsRequestEntry(Encoding.UTF8.GetBytes(Json(n)), $"k{n % 17}"))]));
            Assert.Equal(0, put.FailedRecordCount);
            foreach (var record in put.Records)
            {
                last[record.ShardId!] = record.SequenceNumber!;
            }
        }

        var seeds = KillSchedule.Seeds(BaseSeed + 1, Iterations);

        // An uninterrupted run of each of the four configurations gives the number of requests its kill points are drawn from.
        var requests = new Dictionary<int, int>();
        foreach (var configuration in seeds.Select(s => s % 4).Distinct())
        {
            var baseline = await RunAsync(stream, last, new KillSchedule([]), BaseSeed + configuration);
            Assert.Equal(0, baseline.Kills);
            requests[configuration] = baseline.Requests;
        }

        var kills = 0;
        foreach (var seed in seeds)
        {
            var schedule = KillSchedule.FromSeed(seed, requests[seed % 4], maxKills: 3);
            var run = await RunAsync(stream, last, schedule, seed);
            Assert.True(run.Kills > 0, $"{schedule}: no kill happened ({run.Requests} requests)");
            kills += run.Kills;
        }

        output.WriteLine($"sink kill -9: {seeds.Length} iterations x {Count} records, {kills} kills, {string.Join("/", requests.Values)} requests per uninterrupted run; lost 0, duplicated 0");
        await kinesis.DeleteStreamAsync(new KinesisApi.Model.DeleteStreamRequest(stream));
    }

    private async Task<(int Requests, int Kills)> RunAsync(string stream, Dictionary<string, string> last, KillSchedule schedule, int seed)
    {
        await using var env = new SinkEnvironment(aws, stream);
        await env.StartAsync();
        using var s3 = new HttpFaultProxy(aws.Settings.GetEndpoint(AwsService.S3)!, schedule.Handler);
        using var dynamo = new HttpFaultProxy(aws.Settings.GetEndpoint(AwsService.DynamoDB)!, schedule.Handler);
        var gzip = seed % 2 == 1;
        var everyBatch = seed % 4 < 2;
        var checkpoints = new MonotonicCheckpointStore(new InMemoryShardCheckpointStore());
        await using (var function = env.Function("S3Sink", new()
        {
            ["AWS_ENDPOINT_URL_S3"] = s3.Endpoint.ToString(),
            ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamo.Endpoint.ToString(),
            ["SINK_COMPRESSION"] = gzip ? "gzip" : "none",
            ["SINK_BUFFER_SIZE_MB"] = "1",
            ["SINK_BUFFER_INTERVAL_SECONDS"] = everyBatch ? "0" : "900",
        }))
        {
            schedule.Kill = function.Kill;
            var mapping = new KinesisEventSourceMapping(env.Kinesis, function, new KinesisEventSourceOptions { StreamName = stream, BatchSize = 100, PollInterval = TimeSpan.Zero, MaximumRetryAttempts = 10 }, checkpoints);
            await mapping.DrainAsync();

            // The schedule runs the flush again when it is the one killed.
            var flushed = await SinkEnvironment.FlushAllAsync(function, attempts: 5);

            Assert.True(flushed, $"{schedule}: the final flush failed five times; logs:\n{env.LogTail}");
        }

        var context = $"{schedule} ({(gzip ? "gzip" : "none")}, {(everyBatch ? "every batch" : "at the flush")})";
        Assert.True(checkpoints.Violations.Count == 0, $"{context}: {string.Join("; ", checkpoints.Violations)}");
        var lines = await env.LinesAsync("data/", gzip ? CompressionCodec.Gzip : CompressionCodec.None);
        SinkEnvironment.AssertExactlyOnce(lines.Select(l => SinkEnvironment.N(l.Line)), Count, $"{context}; logs:\n{env.LogTail}");
        foreach (var (shard, sequence) in last)
        {
            Assert.True((await checkpoints.GetAsync(shard))?.SequenceNumber == sequence, $"{context}: {shard} was not checkpointed at its last record");
            var state = await env.StateAsync(shard);
            Assert.True(state.Partitions.Count == 0 && state.Chunks.Count == 0, $"{context}: {shard} still holds state after the final flush");
            Assert.Equal(sequence, state.LastSequence);
        }

        return (schedule.Requests, schedule.Kills);
    }

    private static string Json(int n) => $$"""{"n":{{n}},"type":"click","user":"u{{n % 23}}","pad":"{{new string((char)('a' + (n % 26)), 150)}}"}""";
}
