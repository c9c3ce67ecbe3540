using System.Diagnostics;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Local.Leases;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Faults;
using StreamFunctions.Testing.Kinesis;
using Xunit.Abstractions;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The fault suite's scenarios for runners that share a stream through a KCL lease table, each runner with its own
/// S3Sink process, while records keep arriving: a second runner joins and takes half the leases, the first crashes
/// (polling stops, its process is killed, nothing is released) and its shards fail over; and a shard is split in
/// the middle of the run. Each asserts every record in S3 exactly once, checkpoints that only moved forwards across
/// both runners, and every lease checkpointed at its shard's last record (or its end, for a split parent).
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
[Trait(TestCategories.Suite, TestCategories.Faults)]
public sealed class CompetingRunnersTests(LocalAwsFixture aws, ITestOutputHelper output)
{
    private static readonly TimeSpan FailoverTime = TimeSpan.FromSeconds(3);

    [Fact(Timeout = 300_000)]
    public async Task TwoRunners_OneJoinsThenTheOtherCrashes_LeasesMoveAndEveryRecordExactlyOnce()
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync(shards: 4);
        using var dynamo = aws.Clients.CreateDynamoDBClient();
        var table = new LeaseTable(dynamo, LocalAwsFixture.UniqueName("sfn-leases"));
        await table.CreateIfNotExistsAsync();
        var history = new CheckpointHistory();
        const int count = 4_000;

        await using var a = new Runner(env, table, "runner-a", history);
        await using var b = new Runner(env, table, "runner-b", history);
        a.Start();
        await env.PutAsync(count / 4, S3SinkFunctionTests.Json, start: 0);
        await WaitAsync(() => a.Held.Count == 4, "runner A never held all four leases");
        b.Start();
        await env.PutAsync(count / 4, S3SinkFunctionTests.Json, start: count / 4);
        await WaitAsync(() => b.Held.Count == 2 && a.Held.Count == 2, "the two runners never balanced the leases two and two");
        await env.PutAsync(count / 4, S3SinkFunctionTests.Json, start: count / 2);

        // Runner A crashes: it stops polling and its function process dies; its leases are not released.
        await a.CrashAsync();
        await env.PutAsync(count / 4, S3SinkFunctionTests.Json, start: 3 * count / 4);
        await WaitAsync(() => b.Held.Count == 4, "runner B never took runner A's leases after the failover time");
        await WaitForCheckpointsAsync(env, table);
        await b.StopAsync();
        Assert.True(await SinkEnvironment.FlushAllAsync(b.Function, attempts: 3), env.LogTail);

        output.WriteLine($"two runners, 4 shards, {count} records: A held 4, then 2 with B's 2, then B took all 4; {history.Writes} checkpoints, {a.Errors + b.Errors} failed polls");
        Assert.Empty(history.Violations);
        SinkEnvironment.AssertExactlyOnce((await env.LinesAsync("data/")).Select(l => SinkEnvironment.N(l.Line)), count, env.LogTail);
    }

    [Fact(Timeout = 300_000)]
    public async Task TwoRunners_ShardSplitMidRun_ParentBeforeChildrenAndEveryRecordExactlyOnce()
    {
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync(shards: 2);
        using var dynamo = aws.Clients.CreateDynamoDBClient();
        var table = new LeaseTable(dynamo, LocalAwsFixture.UniqueName("sfn-leases"));
        await table.CreateIfNotExistsAsync();
        var history = new CheckpointHistory();
        const int count = 3_000;

        await using var a = new Runner(env, table, "runner-a", history);
        await using var b = new Runner(env, table, "runner-b", history);
        a.Start();
        b.Start();
        await env.PutAsync(count / 2, S3SinkFunctionTests.Json, start: 0);

        // Split the first shard at the middle of its hash range while both runners read it, then keep writing.
        var shards = (await env.Kinesis.ListShardsAsync(new ListShardsRequest(StreamName: env.Stream))).Shards;
        var parent = shards[0];
        var middle = parent.HashKeyRange.StartingHashKey + ((parent.HashKeyRange.EndingHashKey - parent.HashKeyRange.StartingHashKey) / 2);
        await env.Kinesis.SplitShardAsync(new SplitShardRequest(env.Stream, parent.ShardId, middle));
        await KinesisApi.StreamSetup.WaitActiveAsync(env.Kinesis, env.Stream);
        await env.PutAsync(count / 2, S3SinkFunctionTests.Json, start: count / 2);
        await WaitForCheckpointsAsync(env, table);
        await a.StopAsync();
        await b.StopAsync();
        Assert.True(await SinkEnvironment.FlushAllAsync(a.Function, attempts: 3), env.LogTail);

        output.WriteLine($"two runners, shard split mid-run, {count} records: {history.Writes} checkpoints, {a.Errors + b.Errors} failed polls");
        Assert.Empty(history.Violations);
        Assert.True((await table.GetAsync(parent.ShardId))!.Checkpoint.IsShardEnd, "the split parent was not read to its end");
        var lines = await env.LinesAsync("data/");
        SinkEnvironment.AssertExactlyOnce(lines.Select(l => SinkEnvironment.N(l.Line)), count, env.LogTail);
    }

    private static async Task WaitForCheckpointsAsync(SinkEnvironment env, LeaseTable table)
    {
        // Every open shard checkpointed at its last record, every closed one at SHARD_END.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var pending = new List<string>();
            foreach (var shard in (await env.Kinesis.ListShardsAsync(new ListShardsRequest(StreamName: env.Stream))).Shards)
            {
                var lease = await table.GetAsync(shard.ShardId);
                var latest = (await StreamContents.ReadShardAsync(env.Kinesis, env.Stream, shard.ShardId)).LastOrDefault()?.SequenceNumber;
                var closed = !shard.IsOpen;
                var done = lease is not null && (closed ? lease.Checkpoint.IsShardEnd : latest is null || lease.Checkpoint.SequenceNumber == latest);
                if (!done)
                {
                    pending.Add($"{shard.ShardId} at {lease?.Checkpoint.ToString() ?? "no lease"}, last {latest ?? "none"}");
                }
            }

            if (pending.Count == 0)
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"not every shard was processed to its end: {string.Join("; ", pending)}; logs:\n{env.LogTail}");
            await Task.Delay(250);
        }
    }

    private static async Task WaitAsync(Func<bool> condition, string message)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), message);
            await Task.Delay(100);
        }
    }

    /// <summary>One ESM runner on the shared lease table, with its own S3Sink process, polling until stopped.</summary>
    private sealed class Runner : IAsyncDisposable
    {
        private readonly KinesisEventSourceMapping _mapping;
        private readonly LeaseCoordinator _coordinator;
        private readonly CancellationTokenSource _stop = new();
        private Task? _loop;
        private int _errors;

        public Runner(SinkEnvironment env, LeaseTable table, string workerId, CheckpointHistory history)
        {
            Function = env.Function("S3Sink", new() { ["SINK_BUFFER_INTERVAL_SECONDS"] = "0", ["SINK_BUFFER_SIZE_MB"] = "1" });
            _coordinator = new LeaseCoordinator(table, new LeaseCoordinatorOptions { WorkerId = workerId, FailoverTime = FailoverTime, MaxLeasesToStealAtOneTime = 1 });
            var leases = new MonotonicLeaseStore(new LeaseTableCheckpointStore(_coordinator, env.Kinesis, env.Stream), history);
            _mapping = new KinesisEventSourceMapping(env.Kinesis, Function, new KinesisEventSourceOptions { StreamName = env.Stream, BatchSize = 100, PollInterval = TimeSpan.FromMilliseconds(100), MaximumRetryAttempts = 20 }, leases);
        }

        public ProcessLambdaInvoker Function { get; }

        public IReadOnlyList<Lease> Held => _coordinator.HeldLeases;

        public int Errors => Volatile.Read(ref _errors);

        public void Start() => _loop = Task.Run(LoopAsync);

        public async Task CrashAsync()
        {
            await _stop.CancelAsync();
            await (_loop ?? Task.CompletedTask);
            Function.Kill();
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await (_loop ?? Task.CompletedTask);
            await _mapping.ReleaseLeasesAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await (_loop ?? Task.CompletedTask);
            await Function.DisposeAsync();
            _coordinator.Dispose();
            _stop.Dispose();
        }

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var result = await _mapping.PollOnceAsync(_stop.Token);
                    if (result.IsIdle)
                    {
                        await Task.Delay(100, _stop.Token);
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A failed poll (a lost race, a throttled read) is retried from the checkpoints, as Lambda's poller does.
                    Interlocked.Increment(ref _errors);
                    await Task.Delay(100, CancellationToken.None);
                }
            }
        }
    }
}
