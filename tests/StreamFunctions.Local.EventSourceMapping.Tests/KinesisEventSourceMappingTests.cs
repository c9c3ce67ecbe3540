using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.EventSourceMapping.Destinations;
using StreamFunctions.Local.EventSourceMapping.Tests.Support;

namespace StreamFunctions.Local.EventSourceMapping.Tests;

/// <summary>Runner behaviours that need a fault-injecting stream or a running loop (on the embedded log only).</summary>
public sealed class KinesisEventSourceMappingTests : IAsyncDisposable
{
    private readonly EmbeddedStreamHarness _harness = new();
    private readonly RecordingInvoker _invoker = new();
    private readonly InMemoryShardCheckpointStore _checkpoints = new();

    public async ValueTask DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Poll_WhenGetRecordsIsThrottled_KeepsItsPlaceAndReadsNextPoll()
    {
        var stream = await _harness.CreateStreamAsync();
        await _harness.PutManyAsync(stream, 3);
        var kinesis = _harness.Faults;
        var throttle = true;
        kinesis.Fault = op => op == "GetRecords" && throttle ? new KinesisThroughputExceededException("Rate exceeded for shard shardId-000000000000.") : null;
        var sut = CreateSut(stream);

        var first = await sut.PollOnceAsync();
        throttle = false;
        await sut.DrainAsync();

        Assert.Equal(0, first.RecordsRead);
        Assert.Equal(["r0", "r1", "r2"], _invoker.DeliveredData);
    }

    [Fact]
    public async Task Poll_WhenTheIteratorExpired_RestartsFromTheCheckpoint()
    {
        var stream = await _harness.CreateStreamAsync();
        await _harness.PutManyAsync(stream, 2);
        var sut = CreateSut(stream);
        await sut.DrainAsync();
        await _harness.PutManyAsync(stream, 2, prefix: "late");
        var kinesis = _harness.Faults;
        var expire = true;
        kinesis.Fault = op =>
        {
            if (op == "GetRecords" && expire)
            {
                expire = false;
                return new KinesisExpiredIteratorException("Iterator expired.");
            }

            return null;
        };

        await sut.DrainAsync();

        Assert.Equal(["r0", "r1", "late0", "late1"], _invoker.DeliveredData);
    }

    [Fact]
    public async Task RunAsync_UntilCancelled_DeliversRecordsWrittenWhileRunning()
    {
        var stream = await _harness.CreateStreamAsync();
        var delivered = new TaskCompletionSource();
        _invoker.Respond = e =>
        {
            if (e.Data.Contains("r1"))
            {
                delivered.TrySetResult();
            }

            return Task.FromResult(RecordingInvoker.Ok());
        };
        var options = new KinesisEventSourceOptions { StreamName = stream, PollInterval = TimeSpan.FromMilliseconds(5) };
        var sut = new KinesisEventSourceMapping(_harness.Kinesis, _invoker, options, _checkpoints, time: TimeProvider.System);
        using var cancel = new CancellationTokenSource();

        var running = sut.RunAsync(cancel.Token);
        await _harness.PutManyAsync(stream, 2);
        await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(["r0", "r1"], _invoker.DeliveredData);
    }

    [Fact]
    public async Task Drain_WithoutADestination_DropsExhaustedBatchesAndCheckpointsPastThem()
    {
        var stream = await _harness.CreateStreamAsync();
        var sequences = await _harness.PutManyAsync(stream, 2);
        _invoker.Respond = _ => Task.FromResult(RecordingInvoker.Unhandled());
        var options = new KinesisEventSourceOptions { StreamName = stream, MaximumRetryAttempts = 1 };
        var sut = new KinesisEventSourceMapping(_harness.Kinesis, _invoker, options, _checkpoints, time: _harness.Time);

        await sut.DrainAsync();

        Assert.Equal(2, _invoker.Calls.Count);
        Assert.Equal(sequences[1], (await _checkpoints.GetAsync(ShardIds.Format(0)))!.SequenceNumber);
    }

    [Fact]
    public async Task Poll_StartingAtLatestWhenTheFirstInvocationFails_RedeliversInsteadOfTakingANewLatest()
    {
        var stream = await _harness.CreateStreamAsync();
        var options = new KinesisEventSourceOptions { StreamName = stream, StartingPosition = StartingPosition.Latest };
        var sut = new KinesisEventSourceMapping(_harness.Kinesis, _invoker, options, _checkpoints, time: _harness.Time);
        await sut.DrainAsync();
        await _harness.PutManyAsync(stream, 2);
        _invoker.Respond = e => e.Index == 0 ? throw new HttpRequestException("connection reset") : Task.FromResult(RecordingInvoker.Ok());

        await Assert.ThrowsAsync<HttpRequestException>(() => sut.PollOnceAsync());
        await sut.DrainAsync();

        Assert.Equal([["r0", "r1"], ["r0", "r1"]], _invoker.Calls.Select(c => c.Data));
    }

    [Fact]
    public async Task Poll_WhenTheDestinationFails_StopsAtTheBatchAndSendsItNextPoll()
    {
        var stream = await _harness.CreateStreamAsync();
        var sequences = await _harness.PutManyAsync(stream, 2);
        _invoker.Respond = _ => Task.FromResult(RecordingInvoker.Unhandled());
        var destination = new FlakyDestination();
        var options = new KinesisEventSourceOptions { StreamName = stream, MaximumRetryAttempts = 0 };
        var sut = new KinesisEventSourceMapping(_harness.Kinesis, _invoker, options, _checkpoints, destination, _harness.Time);

        await Assert.ThrowsAsync<Exceptions.OnFailureDestinationException>(() => sut.PollOnceAsync());
        Assert.Null(await _checkpoints.GetAsync(ShardIds.Format(0)));
        await sut.DrainAsync();

        Assert.Equal((sequences[0], sequences[1]), (destination.Sent!.KinesisBatchInfo.StartSequenceNumber, destination.Sent.KinesisBatchInfo.EndSequenceNumber));
        Assert.Equal(sequences[1], (await _checkpoints.GetAsync(ShardIds.Format(0)))!.SequenceNumber);
    }

    private sealed class FlakyDestination : IOnFailureDestination
    {
        private int _calls;

        public OnFailureRecord? Sent { get; private set; }

        public Task SendAsync(OnFailureRecord record, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                throw new Exceptions.OnFailureDestinationException("destination unavailable");
            }

            Sent = record;
            return Task.CompletedTask;
        }
    }

    private KinesisEventSourceMapping CreateSut(string stream) =>
        new(_harness.Kinesis, _invoker, new KinesisEventSourceOptions { StreamName = stream, PollInterval = TimeSpan.Zero }, _checkpoints, time: _harness.Time);
}
