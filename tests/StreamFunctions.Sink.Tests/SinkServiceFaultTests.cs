using System.Collections.Concurrent;
using System.Text;
using StreamFunctions.Aws;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Faults;
using Xunit.Abstractions;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The fault suite's service-failure scenarios for the S3Sink, through proxies in front of the emulators:
/// S3 answering 500/503, resetting connections before or after acting, and slowing down during multipart
/// flushes while DynamoDB throttles; and two runners delivering the same shard to two sink processes at once, so
/// their version-checked state writes race. Each asserts every record exactly once, no state left and
/// monotonic checkpoints ending on the last record.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
[Trait(TestCategories.Suite, TestCategories.Faults)]
public sealed class SinkServiceFaultTests(LocalAwsFixture aws, ITestOutputHelper output)
{
    private const int Count = 7_500;

    [Theory(Timeout = 600_000)]
    [InlineData(31, "none")]
    [InlineData(32, "gzip")]
    public async Task Sink_S3FailingDuringMultipartFlushesAndDynamoDbThrottling_EveryRecordExactlyOnce(int seed, string compression)
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        var last = await env.PutAsync(Count, Record);
        var random = new Random(seed);
        var injected = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        Fault Decide(ProxiedRequest request, double rate, Func<int, Fault> pick)
        {
            int roll;
            lock (random)
            {
                roll = random.NextDouble() < rate ? random.Next(100) : -1;
            }

            if (roll < 0)
            {
                return Fault.None;
            }

            var fault = pick(roll);
            injected.AddOrUpdate($"{request.Operation} {fault.Name}", 1, (_, n) => n + 1);
            return fault;
        }

        // S3: the multipart calls fail half the time, other writes (chunks, objects, copies) a quarter; reads and deletes are left alone.
        Fault S3Fault(ProxiedRequest request)
        {
            seen.AddOrUpdate(request.Operation, 1, (_, n) => n + 1);
            return request.Operation is not ("UploadPart" or "CompleteMultipartUpload" or "CreateMultipartUpload" or "PutObject") ? Fault.None
                : Decide(request, request.Operation == "PutObject" ? 0.25 : 0.5, roll => roll switch
                {
                    < 30 => Fault.S3Error(500, "InternalError"),
                    < 55 => Fault.S3Error(503, "SlowDown"),
                    < 70 => Fault.ResetBefore,
                    < 90 => Fault.ResetAfter,
                    _ => Fault.Delay(TimeSpan.FromSeconds(2)),
                });
        }

        // DynamoDB: any call throttled, failed or answered into the void 15% of the time.
        Fault DynamoFault(ProxiedRequest request)
        {
            seen.AddOrUpdate(request.Operation, 1, (_, n) => n + 1);
            return Decide(request, 0.15, roll => roll switch
            {
                < 50 => Fault.JsonError(400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
                < 75 => Fault.JsonError(500, "com.amazonaws.dynamodb.v20120810#InternalServerError"),
                _ => Fault.ResetAfter,
            });
        }

        using var s3 = HttpFaultProxy.Injecting(aws.Settings.GetEndpoint(AwsService.S3)!, S3Fault);
        using var dynamo = HttpFaultProxy.Injecting(aws.Settings.GetEndpoint(AwsService.DynamoDB)!, DynamoFault);
        var codec = compression == "gzip" ? CompressionCodec.Gzip : CompressionCodec.None;
        var checkpoints = new MonotonicCheckpointStore(new InMemoryShardCheckpointStore());
        await using (var function = env.Function("S3Sink", new()
        {
            ["AWS_ENDPOINT_URL_S3"] = s3.Endpoint.ToString(),
            ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamo.Endpoint.ToString(),
            ["SINK_COMPRESSION"] = compression,
            ["SINK_BUFFER_SIZE_MB"] = codec == CompressionCodec.Gzip ? "8" : "6",
            ["SINK_BUFFER_INTERVAL_SECONDS"] = "900",
        }))
        {
            var mapping = new KinesisEventSourceMapping(env.Kinesis, function, new KinesisEventSourceOptions { StreamName = env.Stream, BatchSize = 500, PollInterval = TimeSpan.Zero, MaximumRetryAttempts = 50 }, checkpoints);
            await mapping.DrainAsync();
            var flushed = await SinkEnvironment.FlushAllAsync(function, attempts: 10);

            Assert.True(flushed, $"the final flush failed ten times; logs:\n{env.LogTail}");
        }

        var faults = string.Join(", ", injected.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} x{f.Value}"));
        output.WriteLine($"seed {seed}, {compression}: {Count} records; {string.Join(", ", seen.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} x{f.Value}"))}; injected {injected.Values.Sum()} faults: {faults}");
        Assert.True(checkpoints.Violations.Count == 0, string.Join("; ", checkpoints.Violations));
        var lines = await env.LinesAsync("data/", codec);
        SinkEnvironment.AssertExactlyOnce(lines.Select(l => SinkEnvironment.N(l.Line)), Count, $"seed {seed}; faults {faults}; logs:\n{env.LogTail}");
        var sizes = new List<int>();
        foreach (var key in lines.Select(l => l.Key).Distinct())
        {
            sizes.Add((await env.ObjectAsync(key, codec)).Length);
        }

        Assert.Contains(sizes, s => s >= 5 * 1024 * 1024);
        var state = await env.StateAsync();
        Assert.Empty(state.Partitions);
        Assert.Empty(state.Chunks);
        Assert.Equal(last, (await checkpoints.GetAsync("shardId-000000000000"))?.SequenceNumber);
        Assert.Contains(injected.Keys, k => k.StartsWith("UploadPart ", StringComparison.Ordinal) || k.StartsWith("CompleteMultipartUpload ", StringComparison.Ordinal));
        Assert.Contains(injected.Keys, k => k.Contains("ProvisionedThroughputExceeded", StringComparison.Ordinal));
    }

    [Fact(Timeout = 300_000)]
    public async Task Sink_S3CallHangsPastTheFunctionTimeoutDuringAMultipartFlush_EveryRecordExactlyOnce()
    {
        // The first part upload hangs for 25 s; the function's timeout is 10 s, so Lambda ends the invocation and
        // discards the process (as on AWS), the batch is retried, and the hung request still reaches S3 afterwards.
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        var last = await env.PutAsync(Count, Record);
        var hung = 0;
        using var s3 = HttpFaultProxy.Injecting(aws.Settings.GetEndpoint(AwsService.S3)!, r =>
            r.Operation == "UploadPart" && Interlocked.Exchange(ref hung, 1) == 0 ? Fault.Delay(TimeSpan.FromSeconds(25)) : Fault.None);
        var checkpoints = new MonotonicCheckpointStore(new InMemoryShardCheckpointStore());
        await using (var function = env.Function(
            "S3Sink",
            new() { ["AWS_ENDPOINT_URL_S3"] = s3.Endpoint.ToString(), ["SINK_BUFFER_SIZE_MB"] = "6", ["SINK_BUFFER_INTERVAL_SECONDS"] = "900" },
            timeout: TimeSpan.FromSeconds(10)))
        {
            var mapping = new KinesisEventSourceMapping(env.Kinesis, function, new KinesisEventSourceOptions { StreamName = env.Stream, BatchSize = 500, PollInterval = TimeSpan.Zero, MaximumRetryAttempts = 10 }, checkpoints);
            await mapping.DrainAsync();
            Assert.True(await SinkEnvironment.FlushAllAsync(function, attempts: 5), env.LogTail);
            output.WriteLine($"a part upload hung past the 10 s function timeout: {function.ColdStarts} cold starts; {Count} records");
            Assert.True(function.ColdStarts >= 2, "the hang did not time the invocation out");
        }

        Assert.Equal(1, hung);
        Assert.Empty(checkpoints.Violations);
        SinkEnvironment.AssertExactlyOnce((await env.LinesAsync("data/")).Select(l => SinkEnvironment.N(l.Line)), Count, env.LogTail);
        var state = await env.StateAsync();
        Assert.Empty(state.Partitions);
        Assert.Equal(last, (await checkpoints.GetAsync("shardId-000000000000"))?.SequenceNumber);
    }

    [Fact(Timeout = 300_000)]
    public async Task Sink_TwoRunnersDeliveringTheSameShardToTwoProcesses_StateWritesRaceAndEveryRecordExactlyOnce()
    {
        // As when Lambda runs a retry while a timed-out invocation is still going: two pollers, no lease between them,
        // each with its own sink process, both delivering every batch of the shard. Only version-checked writes keep
        // the output exact; the loser of each race reads the state again and finds its records already durable.
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        var last = await env.PutAsync(2_000, S3SinkFunctionTests.Json);
        var lostRaces = 0;
        using var dynamo = new HttpFaultProxy(aws.Settings.GetEndpoint(AwsService.DynamoDB)!, async (request, forward) =>
        {
            var answer = await forward(request.Body);
            if (answer.Status == 400 && Encoding.UTF8.GetString(answer.Body).Contains("ConditionalCheckFailed", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref lostRaces);
            }

            return answer;
        });
        var settings = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamo.Endpoint.ToString(),
            ["SINK_BUFFER_INTERVAL_SECONDS"] = "0",
            ["SINK_BUFFER_SIZE_MB"] = "1",
        };
        var first = new MonotonicCheckpointStore(new InMemoryShardCheckpointStore());
        var second = new MonotonicCheckpointStore(new InMemoryShardCheckpointStore());
        await using (var a = env.Function("S3Sink", settings))
        await using (var b = env.Function("S3Sink", settings))
        {
            var options = new KinesisEventSourceOptions { StreamName = env.Stream, BatchSize = 50, PollInterval = TimeSpan.Zero, MaximumRetryAttempts = 50 };
            await Task.WhenAll(
                new KinesisEventSourceMapping(env.Kinesis, a, options, first).DrainAsync(),
                new KinesisEventSourceMapping(env.Kinesis, b, options, second).DrainAsync());
            Assert.True(await SinkEnvironment.FlushAllAsync(a, attempts: 3), env.LogTail);
        }

        Assert.Empty(first.Violations);
        Assert.Empty(second.Violations);
        output.WriteLine($"two runners, one shard, 2000 records: {lostRaces} conditional writes lost a race");
        Assert.True(lostRaces > 0, "the two sinks never raced: the scenario did not test conditional writes");
        SinkEnvironment.AssertExactlyOnce((await env.LinesAsync("data/")).Select(l => SinkEnvironment.N(l.Line)), 2_000, env.LogTail);
        var state = await env.StateAsync();
        Assert.Empty(state.Partitions);
        Assert.Equal(last, state.LastSequence);
        Assert.Equal(last, (await first.GetAsync("shardId-000000000000"))?.SequenceNumber);
        Assert.Equal(last, (await second.GetAsync("shardId-000000000000"))?.SequenceNumber);
    }

    // About 1 KB of JSON with incompressible padding (so GZIP output still fills 5 MiB parts).
    private static string Record(int n)
    {
        var padding = new byte[720];
        new Random(n).NextBytes(padding);
        return $$"""{"n":{{n}},"type":"click","pad":"{{Convert.ToBase64String(padding)}}"}""";
    }
}
