using System.Globalization;
using Amazon.DynamoDBv2;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.Leases.Exceptions;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Local.Leases.Tests.Integration;

/// <summary>The lease protocol against DynamoDB (the emulator): conditional writes do the fencing.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class LeaseCoordinatorTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly IAmazonDynamoDB _dynamo = aws.Clients.CreateDynamoDBClient();
    private readonly ManualTimeProvider _time = new();
    private readonly List<LeaseCoordinator> _workers = [];
    private LeaseTable _table = null!;

    public async Task InitializeAsync()
    {
        _table = new LeaseTable(_dynamo, LocalAwsFixture.UniqueName("sfn-leases"));
        Assert.True(await _table.CreateIfNotExistsAsync());
    }

    public async Task DisposeAsync() => await _dynamo.DeleteTableAsync(_table.TableName);

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        _dynamo.Dispose();
    }

    [Fact]
    public async Task TwoWorkers_RacingForEightShards_ConvergeToFourEachAndOnlyOwnersCheckpoint()
    {
        await CreateLeasesAsync(8);
        var a = Worker("worker-a");
        var b = Worker("worker-b");
        var attempts = new List<(string Worker, string Lease, bool Written)>();
        long sequence = 100;

        // Worker A starts first and takes every lease; then B joins and the two race.
        await a.RunOnceAsync();
        Assert.Equal(8, a.HeldLeases.Count);
        for (var round = 0; round < 12; round++)
        {
            // Both renew, then both take, then both checkpoint what they believe they hold, concurrently:
            // a worker whose lease was stolen in this round still believes it holds it when it checkpoints.
            await Task.WhenAll(a.RenewAsync(), b.RenewAsync());
            await Task.WhenAll(a.TakeAsync(), b.TakeAsync());
            await Task.WhenAll(CheckpointHeldAsync(a, 1), CheckpointHeldAsync(b, 2));
        }

        var leases = await _table.ListAsync();
        Assert.All(leases, l => Assert.NotNull(l.LeaseOwner));
        Assert.Equal(4, leases.Count(l => l.LeaseOwner == "worker-a"));
        Assert.Equal(4, leases.Count(l => l.LeaseOwner == "worker-b"));
        Assert.Equal(leases.Where(l => l.LeaseOwner == "worker-a").Select(l => l.LeaseKey), a.HeldLeases.Select(l => l.LeaseKey));
        Assert.Equal(leases.Where(l => l.LeaseOwner == "worker-b").Select(l => l.LeaseKey), b.HeldLeases.Select(l => l.LeaseKey));

        // The last checkpoint of every lease was written by its owner: a worker's checkpoints end in its digit.
        await Task.WhenAll(CheckpointHeldAsync(a, 1), CheckpointHeldAsync(b, 2));
        foreach (var lease in await _table.ListAsync())
        {
            var digit = lease.Checkpoint.SequenceNumber[^1];
            Assert.Equal(lease.LeaseOwner == "worker-a" ? '1' : '2', digit);
        }

        // B stole four leases from A; each time A still believed it held the lease, and its checkpoint was refused.
        Assert.Equal(4, attempts.Count(x => x.Worker == "worker-a" && !x.Written));
        Assert.DoesNotContain(attempts, x => x.Worker == "worker-b" && !x.Written);

        async Task CheckpointHeldAsync(LeaseCoordinator worker, int digit)
        {
            foreach (var lease in worker.HeldLeases)
            {
                var value = Interlocked.Add(ref sequence, 10) + digit;
                try
                {
                    await worker.CheckpointAsync(lease.LeaseKey, new ExtendedSequenceNumber(value.ToString(CultureInfo.InvariantCulture)));
                    lock (attempts)
                    {
                        attempts.Add((worker.WorkerId, lease.LeaseKey, true));
                    }
                }
                catch (LeaseLostException)
                {
                    lock (attempts)
                    {
                        attempts.Add((worker.WorkerId, lease.LeaseKey, false));
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Checkpoint_ByWorkerWhoseLeaseWasStolen_IsRejectedAndNothingIsWritten()
    {
        await CreateLeasesAsync(2);
        var a = Worker("worker-a");
        var b = Worker("worker-b");
        await a.TakeAsync();
        Assert.Equal(2, a.HeldLeases.Count);
        await a.CheckpointAsync("shardId-000000000000", new ExtendedSequenceNumber("10"));

        var stolen = Assert.Single(await b.TakeAsync());
        var error = await Assert.ThrowsAsync<LeaseLostException>(() => a.CheckpointAsync(stolen.LeaseKey, new ExtendedSequenceNumber("20")));

        Assert.Equal(stolen.LeaseKey, error.LeaseKey);
        var row = await _table.GetAsync(stolen.LeaseKey);
        Assert.Equal("worker-b", row!.LeaseOwner);
        Assert.Equal(stolen.Checkpoint, row.Checkpoint);
        Assert.False(a.Holds(stolen.LeaseKey));
        Assert.Equal(1, row.OwnerSwitchesSinceCheckpoint);
    }

    [Fact]
    public async Task Renew_AfterAnotherWorkerStoleTheLease_DropsIt()
    {
        await CreateLeasesAsync(2);
        var a = Worker("worker-a");
        var b = Worker("worker-b");
        await a.TakeAsync();
        var stolen = Assert.Single(await b.TakeAsync());

        var lost = await a.RenewAsync();

        Assert.Equal([stolen.LeaseKey], lost);
        Assert.Single(a.HeldLeases);
    }

    [Fact]
    public async Task Take_LeaseOfStoppedWorker_OnlyAfterFailoverTime()
    {
        await CreateLeasesAsync(3);
        var a = Worker("worker-a");
        var b = Worker("worker-b", stealing: 0);
        await a.TakeAsync();
        Assert.Empty(await b.TakeAsync());

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Empty(await b.TakeAsync());
        _time.Advance(TimeSpan.FromSeconds(2));
        var taken = await b.TakeAsync();

        Assert.Equal(3, taken.Count);
        Assert.All(await _table.ListAsync(), l => Assert.Equal("worker-b", l.LeaseOwner));
    }

    [Fact]
    public async Task Take_LeaseRenewedByItsOwner_NeverExpires()
    {
        await CreateLeasesAsync(1);
        var a = Worker("worker-a");
        var b = Worker("worker-b", stealing: 0);
        await a.TakeAsync();
        await b.TakeAsync();

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(4));
            await a.RenewAsync();
            Assert.Empty(await b.TakeAsync());
        }

        Assert.True(a.Holds("shardId-000000000000"));
    }

    [Fact]
    public async Task Checkpoint_Backwards_IsRejectedAndTheCheckpointStays()
    {
        await CreateLeasesAsync(1);
        var a = Worker("worker-a");
        await a.TakeAsync();
        await a.CheckpointAsync("shardId-000000000000", new ExtendedSequenceNumber("500", 2));

        await Assert.ThrowsAsync<InvalidCheckpointException>(() => a.CheckpointAsync("shardId-000000000000", new ExtendedSequenceNumber("500", 1)));
        await Assert.ThrowsAsync<InvalidCheckpointException>(() => a.CheckpointAsync("shardId-000000000000", new ExtendedSequenceNumber("499")));
        await Assert.ThrowsAsync<InvalidCheckpointException>(() => a.CheckpointAsync("shardId-000000000000", ExtendedSequenceNumber.TrimHorizon));
        await Assert.ThrowsAsync<InvalidCheckpointException>(() => a.CheckpointAsync("shardId-000000000000", new ExtendedSequenceNumber("5x")));

        Assert.Equal(new ExtendedSequenceNumber("500", 2), (await _table.GetAsync("shardId-000000000000"))!.Checkpoint);
    }

    [Fact]
    public async Task Checkpoint_NotRenewedWithinFailoverTime_IsRefusedLocally()
    {
        await CreateLeasesAsync(1);
        var a = Worker("worker-a");
        await a.TakeAsync();

        _time.Advance(TimeSpan.FromSeconds(11));

        await Assert.ThrowsAsync<LeaseLostException>(() => a.CheckpointAsync("shardId-000000000000", new ExtendedSequenceNumber("1")));
    }

    [Fact]
    public async Task ReleaseAll_ThenAnotherWorker_TakesWithoutWaiting()
    {
        await CreateLeasesAsync(2);
        var a = Worker("worker-a");
        var b = Worker("worker-b", stealing: 0);
        await a.TakeAsync();

        await a.ReleaseAllAsync();

        Assert.Equal(2, (await b.TakeAsync()).Count);
    }

    [Fact]
    public async Task ShardSync_RunTwiceConcurrently_CreatesEachLeaseOnceAndChildrenAtTrimHorizon()
    {
        using var kinesis = FaultInjectingKinesis.OnTempFolder(_time);
        await kinesis.CreateStreamAsync(new CreateStreamRequest("s", 2));
        await kinesis.SplitShardAsync(new SplitShardRequest("s", "shardId-000000000000", UInt128.One << 64));

        var created = await Task.WhenAll(
            ShardLeaseSync.SyncAsync(kinesis, "s", _table, ExtendedSequenceNumber.Latest),
            ShardLeaseSync.SyncAsync(kinesis, "s", _table, ExtendedSequenceNumber.Latest));

        var leases = await _table.ListAsync();
        Assert.Equal(4, leases.Count);
        Assert.Equal(4, created.Sum(c => c.Count));
        Assert.All(leases.Where(l => l.ParentShardIds.Count > 0), l => Assert.Equal(ExtendedSequenceNumber.TrimHorizon, l.Checkpoint));
        Assert.All(leases.Where(l => l.ParentShardIds.Count == 0), l => Assert.Equal(ExtendedSequenceNumber.Latest, l.Checkpoint));
    }

    [Fact]
    public async Task SplitDuringProcessing_ChildIsNotProcessedBeforeTheParentsEnd()
    {
        using var kinesis = FaultInjectingKinesis.OnTempFolder(_time);
        await kinesis.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await ShardLeaseSync.SyncAsync(kinesis, "s", _table, ExtendedSequenceNumber.TrimHorizon);
        var worker = Worker("worker-a");
        var processed = new List<(string Shard, string Data)>();
        var processor = new ShardProcessor(kinesis, "s", worker, processed);
        await Put(kinesis, "before", 5);
        await worker.RunOnceAsync();

        // Read part of the parent, then split while it is being processed.
        await processor.ProcessOnePageAsync("shardId-000000000000", limit: 3);
        await kinesis.SplitShardAsync(new SplitShardRequest("s", "shardId-000000000000", UInt128.One << 127));
        await Put(kinesis, "after", 6);
        await ShardLeaseSync.SyncAsync(kinesis, "s", _table, ExtendedSequenceNumber.TrimHorizon);
        await worker.RunOnceAsync();
        Assert.Equal(3, worker.HeldLeases.Count);

        var children = worker.HeldLeases.Where(l => l.ParentShardIds.Count > 0).ToList();
        Assert.Equal(2, children.Count);
        Assert.All(children, c => Assert.False(worker.ParentsFinishedAsync(c).GetAwaiter().GetResult()));

        // Process round-robin over every lease that may run, as a worker's shard loops would.
        for (var i = 0; i < 20; i++)
        {
            foreach (var lease in worker.HeldLeases.Where(l => !l.IsFinished))
            {
                if (await worker.ParentsFinishedAsync(lease))
                {
                    await processor.ProcessOnePageAsync(lease.LeaseKey, limit: 2);
                }
            }
        }

        var lastParent = processed.FindLastIndex(p => p.Shard == "shardId-000000000000");
        var firstChild = processed.FindIndex(p => p.Shard != "shardId-000000000000");
        Assert.Equal(5, processed.Count(p => p.Shard == "shardId-000000000000"));
        Assert.Equal(6, processed.Count(p => p.Shard != "shardId-000000000000"));
        Assert.True(lastParent < firstChild, $"a child record was processed at {firstChild}, before the parent's last at {lastParent}");
        var parent = await _table.GetAsync("shardId-000000000000");
        Assert.True(parent!.IsFinished);
        Assert.Equal(children.Select(c => c.LeaseKey).Order(), parent.ChildShardIds);
    }

    private static async Task Put(FaultInjectingKinesis kinesis, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await kinesis.PutRecordAsync(new PutRecordRequest("s", System.Text.Encoding.UTF8.GetBytes(prefix + i), "key-" + i));
        }
    }

    private async Task CreateLeasesAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(await _table.CreateIfNotExistsAsync(new Lease(
                $"shardId-{i:D12}", null, 0, ExtendedSequenceNumber.TrimHorizon, 0, [], [])));
        }
    }

    private LeaseCoordinator Worker(string id, int stealing = 1)
    {
        var worker = new LeaseCoordinator(
            _table,
            new LeaseCoordinatorOptions { WorkerId = id, FailoverTime = TimeSpan.FromSeconds(10), MaxLeasesToStealAtOneTime = stealing },
            _time,
            new Random(id.Length));
        _workers.Add(worker);
        return worker;
    }
}
