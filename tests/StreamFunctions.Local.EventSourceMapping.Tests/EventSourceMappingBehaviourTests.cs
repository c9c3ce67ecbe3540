using System.Collections.Concurrent;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.EventSourceMapping.Destinations;
using StreamFunctions.Local.EventSourceMapping.Tests.Support;

namespace StreamFunctions.Local.EventSourceMapping.Tests;

/// <summary>
/// Lambda's Kinesis event-source-mapping semantics, each with a test that fails if the runner gets it
/// wrong. Run once against the in-memory stream (unit) and once against the Kinesis emulator (integration).
/// </summary>
public abstract class EventSourceMappingBehaviourTests(StreamHarness harness) : IAsyncLifetime
{
    private readonly RecordingInvoker _invoker = new();
    private readonly RecordingDestination _destination = new();
    private readonly InMemoryShardCheckpointStore _checkpoints = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task Drain_WithBatchSize_InvokesFullBatchesInOrderAndEachRecordOnce()
    {
        var stream = await harness.CreateStreamAsync();
        await harness.PutManyAsync(stream, 25);
        var sut = CreateSut(stream, o => o.BatchSize = 10);

        await sut.DrainAsync();

        Assert.Equal([10, 10, 5], _invoker.Calls.Select(c => c.Records.Count));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => "r" + i), _invoker.DeliveredData);
    }

    [Fact]
    public async Task Drain_Event_CarriesLambdasRecordFields()
    {
        var stream = await harness.CreateStreamAsync();
        var sequences = await harness.PutAsync(stream, ("pk-1", "hello"));
        var arn = (await harness.Kinesis.DescribeStreamSummaryAsync(stream)).StreamArn;
        var sut = CreateSut(stream);

        await sut.DrainAsync();

        var record = Assert.Single(Assert.Single(_invoker.Calls).Records);
        Assert.Equal(sequences[0], record.SequenceNumber);
        Assert.Equal("pk-1", record.PartitionKey);
        Assert.Equal("hello", record.Data);
        Assert.Equal($"{ShardIds.Format(0)}:{sequences[0]}", record.EventId);
        Assert.Equal(arn, record.EventSourceArn);
    }

    [Fact]
    public async Task Poll_WithBatchingWindow_WaitsForTheWindowUnlessTheBatchIsFull()
    {
        var stream = await harness.CreateStreamAsync();
        var sut = CreateSut(stream, o =>
        {
            o.BatchSize = 5;
            o.MaximumBatchingWindowInSeconds = 30;
        });
        await harness.PutManyAsync(stream, 3);

        await sut.DrainAsync();
        Assert.Empty(_invoker.Calls);

        harness.Time.Advance(TimeSpan.FromSeconds(29));
        await harness.PutManyAsync(stream, 1, prefix: "late");
        await sut.DrainAsync();
        Assert.Empty(_invoker.Calls);

        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await sut.DrainAsync();
        Assert.Equal(["r0", "r1", "r2", "late0"], Assert.Single(_invoker.Calls).Data);

        await harness.PutManyAsync(stream, 5, prefix: "full");
        await sut.DrainAsync();
        Assert.Equal(5, _invoker.Calls[1].Records.Count);
    }

    [Fact]
    public async Task Drain_StartingAtLatest_DeliversOnlyRecordsWrittenAfterTheFirstPoll()
    {
        var stream = await harness.CreateStreamAsync();
        await harness.PutManyAsync(stream, 3, prefix: "old");
        var sut = CreateSut(stream, o => o.StartingPosition = StartingPosition.Latest);

        await sut.DrainAsync();
        await harness.PutManyAsync(stream, 2, prefix: "new");
        await sut.DrainAsync();

        Assert.Equal(["new0", "new1"], _invoker.DeliveredData);
    }

    [Fact]
    public async Task Drain_StartingAtTimestamp_SkipsRecordsThatArrivedBefore()
    {
        var stream = await harness.CreateStreamAsync();
        await harness.PutManyAsync(stream, 3, prefix: "old");
        await harness.LetTimePassAsync(TimeSpan.FromSeconds(1));
        var at = harness.Time.GetUtcNow();
        await harness.PutManyAsync(stream, 2, prefix: "new");
        var sut = CreateSut(stream, o =>
        {
            o.StartingPosition = StartingPosition.AtTimestamp;
            o.StartingPositionTimestamp = at - TimeSpan.FromMilliseconds(300);
        });

        await sut.DrainAsync();

        Assert.Equal(["new0", "new1"], _invoker.DeliveredData);
    }

    [Fact]
    public async Task Drain_WithParallelizationFactor10AndRandomDelays_KeepsEachKeyInOrderAndInOneBatchAtATime()
    {
        var stream = await harness.CreateStreamAsync();
        var records = Enumerable.Range(0, 300).Select(i => ($"key-{i % 17}", $"{i % 17}:{i / 17}")).ToArray();
        var sequences = await harness.PutAsync(stream, records);
        var inFlight = new ConcurrentDictionary<string, int>();
        var maxConcurrent = 0;
        var concurrent = 0;
        var overlap = false;
        _invoker.Respond = async e =>
        {
            var keys = e.Records.Select(r => r.PartitionKey).Distinct().ToList();
            foreach (var key in keys)
            {
                overlap |= inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1;
            }

            var now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref maxConcurrent, now);
            await Task.Delay(Random.Shared.Next(1, 15));
            Interlocked.Decrement(ref concurrent);
            foreach (var key in keys)
            {
                inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
            }

            return RecordingInvoker.Ok();
        };
        var sut = CreateSut(stream, o =>
        {
            o.BatchSize = 4;
            o.ParallelizationFactor = 10;
        });

        await sut.DrainAsync();

        Assert.False(overlap, "a partition key was in two in-flight batches");
        Assert.True(maxConcurrent > 1, "batches of one shard never ran concurrently");
        Assert.Equal(300, _invoker.DeliveredData.Count);
        foreach (var group in _invoker.Calls.SelectMany(c => c.Records).GroupBy(r => r.PartitionKey))
        {
            Assert.Equal(group.OrderBy(r => int.Parse(r.Data.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)).Select(r => r.Data), group.Select(r => r.Data));
        }

        Assert.Equal(sequences[^1], (await _checkpoints.GetAsync(ShardIds.Format(0)))!.SequenceNumber);
    }

    [Fact]
    public async Task Drain_ReportBatchItemFailures_RetriesFromTheLowestFailedSequenceNumber()
    {
        var stream = await harness.CreateStreamAsync();
        var sequences = await harness.PutManyAsync(stream, 10);
        ShardCheckpoint? checkpointAtRetry = null;
        _invoker.Respond = async e =>
        {
            if (e.Index == 0)
            {
                return RecordingInvoker.Failures(sequences[6], sequences[4], sequences[8]);
            }

            checkpointAtRetry ??= await _checkpoints.GetAsync(ShardIds.Format(0));
            return RecordingInvoker.Ok();
        };
        var sut = CreateSut(stream, o => o.ReportBatchItemFailures = true);

        await sut.DrainAsync();

        Assert.Equal(2, _invoker.Calls.Count);
        Assert.Equal(sequences.Skip(4), _invoker.Calls[1].Sequences);
        Assert.Equal(sequences[3], checkpointAtRetry!.SequenceNumber);
        Assert.Equal(sequences[9], (await _checkpoints.GetAsync(ShardIds.Format(0)))!.SequenceNumber);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"batchItemFailures":null}""")]
    [InlineData("""{"batchItemFailures":[]}""")]
    public async Task Drain_ReportBatchItemFailuresWithEmptyResponse_CountsTheBatchAsSucceeded(string body)
    {
        var stream = await harness.CreateStreamAsync();
        await harness.PutManyAsync(stream, 3);
        _invoker.Respond = _ => Task.FromResult(RecordingInvoker.Ok(body));
        var sut = CreateSut(stream, o => o.ReportBatchItemFailures = true);

        await sut.DrainAsync();

        Assert.Single(_invoker.Calls);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-sequence-of-this-batch")]
    public async Task Drain_ReportBatchItemFailuresWithInvalidIdentifier_RetriesTheWholeBatch(string? identifier)
    {
        var stream = await harness.CreateStreamAsync();
        var sequences = await harness.PutManyAsync(stream, 4);
        _invoker.Respond = e => Task.FromResult(e.Index == 0 ? RecordingInvoker.Failures(sequences[2], identifier) : RecordingInvoker.Ok());
        var sut = CreateSut(stream, o => o.ReportBatchItemFailures = true);

        await sut.DrainAsync();

        Assert.Equal(2, _invoker.Calls.Count);
        Assert.Equal(sequences, _invoker.Calls[1].Sequences);
    }

    [Fact]
    public async Task Drain_BisectOnFunctionError_SplitsInHalvesUntilThePoisonRecordIsIsolated()
    {
        var stream = await harness.CreateStreamAsync();
        var sequences = await harness.PutManyAsync(stream, 8);
        _invoker.Respond = e => Task.FromResult(e.Data.Contains("r5") ? RecordingInvoker.Unhandled() : RecordingInvoker.Ok());
        var sut = CreateSut(stream, o =>
        {
            o.BisectBatchOnFunctionError = true;
            o.MaximumRetryAttempts = 0;
        });

        await sut.DrainAsync();

        Assert.Equal(
            ["r0-r7", "r0-r3", "r4-r7", "r4-r5", "r4-r4", "r5-r5", "r6-r7"],
            _invoker.Calls.Select(c => $"{c.Data[0]}-{c.Data[^1]}"));
        var discarded = Assert.Single(_destination.Records);
        Assert.Equal((sequences[5], sequences[5], 1), (discarded.KinesisBatchInfo.StartSequenceNumber, discarded.KinesisBatchInfo.EndSequenceNumber, discarded.KinesisBatchInfo.BatchSize));
        Assert.Equal(sequences[7], (await _checkpoints.GetAsync(ShardIds.Format(0)))!.SequenceNumber);
    }

    [Fact]
    public async Task Drain_BisectWithReportBatchItemFailures_SplitsAtTheReturnedSequenceNumber()
    {
        var stream = await harness.CreateStreamAsync();
        var sequences = await harness.PutManyAsync(stream, 6);
        _invoker.Respond = e => Task.FromResult(e.Index == 0 ? RecordingInvoker.Failures(sequences[3]) : RecordingInvoker.Ok());
        var sut = CreateSut(stream, o =>
        {
            o.BisectBatchOnFunctionError = true;
            o.ReportBatchItemFailures = true;
            o.MaximumRetryAttempts = 0;
        });

        await sut.DrainAsync();

        // The split at r3 is not a retry: with no retries allowed, the tail is still invoked once.
        Assert.Equal([sequences, sequences.Skip(3).ToList()], _invoker.Calls.Select(c => c.Sequences));
        Assert.Empty(_destination.Records);
    }

    [Fact]
    public async Task Drain_WhenRetriesAreExhausted_SendsTheShardAndSequenceRangeToTheDestinationAndMovesOn()
    {
        var stream = await harness.CreateStreamAsync();
        var sequences = await harness.PutManyAsync(stream, 5);
        var arn = (await harness.Kinesis.DescribeStreamSummaryAsync(stream)).StreamArn;
        _invoker.Respond = e => Task.FromResult(e.Data.Contains("r0") ? RecordingInvoker.Unhandled() : RecordingInvoker.Ok());
        var sut = CreateSut(stream, o =>
        {
            o.BatchSize = 3;
            o.MaximumRetryAttempts = 2;
            o.FunctionArn = "arn:aws:lambda:us-east-1:000000000000:function:fails";
        });

        await sut.DrainAsync();

        Assert.Equal(["r0-r2", "r0-r2", "r0-r2", "r3-r4"], _invoker.Calls.Select(c => $"{c.Data[0]}-{c.Data[^1]}"));
        var record = Assert.Single(_destination.Records);
        Assert.Equal(OnFailureConditions.RetryAttemptsExhausted, record.RequestContext.Condition);
        Assert.Equal(3, record.RequestContext.ApproximateInvokeCount);
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:fails", record.RequestContext.FunctionArn);
        Assert.Equal((200, "Unhandled"), (record.ResponseContext.StatusCode, record.ResponseContext.FunctionError));
        Assert.Equal(
            new KinesisBatchInfo(ShardIds.Format(0), sequences[0], sequences[2], record.KinesisBatchInfo.ApproximateArrivalOfFirstRecord, record.KinesisBatchInfo.ApproximateArrivalOfLastRecord, 3, arn),
            record.KinesisBatchInfo);
        Assert.Equal(sequences[4], (await _checkpoints.GetAsync(ShardIds.Format(0)))!.SequenceNumber);
    }

    [Fact]
    public async Task Drain_WithMaximumRecordAge_SkipsOlderRecordsToTheDestination()
    {
        var stream = await harness.CreateStreamAsync();
        var old = await harness.PutManyAsync(stream, 2, prefix: "old");
        await harness.LetTimePassAsync(TimeSpan.FromSeconds(1.5));
        await harness.PutManyAsync(stream, 2, prefix: "new");
        var sut = CreateSut(stream, o => o.MaximumRecordAgeInSeconds = 1);

        await sut.DrainAsync();

        Assert.Equal(["new0", "new1"], _invoker.DeliveredData);
        var record = Assert.Single(_destination.Records);
        Assert.Equal(OnFailureConditions.RecordAgeExceeded, record.RequestContext.Condition);
        Assert.Equal((old[0], old[1], 2), (record.KinesisBatchInfo.StartSequenceNumber, record.KinesisBatchInfo.EndSequenceNumber, record.KinesisBatchInfo.BatchSize));
        Assert.Equal(0, record.RequestContext.ApproximateInvokeCount);
    }

    [Fact]
    public async Task Drain_WithTumblingWindow_AccumulatesStateWithinAWindowAndResetsItForTheNext()
    {
        var stream = await harness.CreateStreamAsync();
        var seconds = harness.WindowSeconds;
        _invoker.Respond = e =>
        {
            // State values are strings, as the official .NET contract types (Dictionary<string, string>) carry them.
            using var state = System.Text.Json.JsonDocument.Parse(e.StateJson!);
            var count = state.RootElement.TryGetProperty("n", out var n) ? int.Parse(n.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : 0;
            return Task.FromResult(RecordingInvoker.Ok($$$"""{"state":{"n":"{{{count + e.Records.Count}}}"}}"""));
        };
        var sut = CreateSut(stream, o => o.TumblingWindowInSeconds = seconds);

        await harness.MoveToNextWindowAsync(seconds);
        await harness.PutManyAsync(stream, 2, prefix: "a");
        await sut.DrainAsync();
        await harness.PutManyAsync(stream, 3, prefix: "b");
        await sut.DrainAsync();
        await harness.MoveToNextWindowAsync(seconds);
        await harness.PutManyAsync(stream, 1, prefix: "c");
        await sut.DrainAsync();

        var calls = _invoker.Calls;
        Assert.Equal(
            ["{}|a0,a1|False", """{"n":"2"}|b0,b1,b2|False""", """{"n":"5"}||True""", "{}|c0|False"],
            calls.Select(c => $"{c.StateJson}|{string.Join(',', c.Data)}|{c.IsFinalInvokeForWindow}"));
        Assert.Equal(calls[0].WindowStart, calls[2].WindowStart);
        Assert.Equal(calls[0].WindowEnd, calls[3].WindowStart);
        Assert.Equal(ShardIds.Format(0), calls[0].ShardId);
    }

    [Fact]
    public async Task Drain_WithTumblingWindowAndNoStateInTheResponse_RetriesTheBatch()
    {
        var stream = await harness.CreateStreamAsync();
        _invoker.Respond = e => Task.FromResult(RecordingInvoker.Ok(e.Index == 0 ? "{}" : """{"state":{}}"""));
        var sut = CreateSut(stream, o => o.TumblingWindowInSeconds = harness.WindowSeconds);
        await harness.MoveToNextWindowAsync(harness.WindowSeconds);
        await harness.PutManyAsync(stream, 2);

        await sut.DrainAsync();

        Assert.Equal([["r0", "r1"], ["r0", "r1"]], _invoker.Calls.Take(2).Select(c => c.Data));
    }

    [Fact]
    public async Task Drain_AfterSplitShard_ReadsTheParentToItsEndBeforeTheChildren()
    {
        var stream = await harness.CreateStreamAsync();
        await harness.PutAsync(stream, [.. Enumerable.Range(0, 6).Select(i => ($"k{i}", $"parent{i}"))]);
        await harness.Kinesis.SplitShardAsync(new SplitShardRequest(stream, ShardIds.Format(0), UInt128.MaxValue / 2));
        await harness.WaitForOpenShardsAsync(stream, 2);
        await harness.PutAsync(stream, [.. Enumerable.Range(0, 20).Select(i => ($"k{i}", $"child{i}"))]);
        var sut = CreateSut(stream, o => o.BatchSize = 2);

        await sut.DrainAsync();

        var delivered = _invoker.DeliveredData;
        Assert.Equal(26, delivered.Count);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"parent{i}"), delivered.Take(6));
        Assert.True((await _checkpoints.GetAsync(ShardIds.Format(0)))!.ShardEnded);
        Assert.Equal(3, _checkpoints.Checkpoints.Count);
    }

    [Fact]
    public async Task Drain_AfterMergeShards_ReadsBothParentsToTheirEndBeforeTheChild()
    {
        var stream = await harness.CreateStreamAsync(shards: 2);
        await harness.PutAsync(stream, [.. Enumerable.Range(0, 10).Select(i => ($"k{i}", $"parent{i}"))]);
        await harness.Kinesis.MergeShardsAsync(new MergeShardsRequest(stream, ShardIds.Format(0), ShardIds.Format(1)));
        await harness.WaitForOpenShardsAsync(stream, 1);
        await harness.PutAsync(stream, [.. Enumerable.Range(0, 5).Select(i => ($"k{i}", $"child{i}"))]);
        var sut = CreateSut(stream);

        await sut.DrainAsync();

        var delivered = _invoker.DeliveredData;
        Assert.Equal(15, delivered.Count);
        Assert.All(delivered.Take(10), d => Assert.StartsWith("parent", d, StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"child{i}"), delivered.Skip(10));
    }

    [Fact]
    public async Task Drain_WithTumblingWindowStateOver1MB_EndsTheWindowEarly()
    {
        var stream = await harness.CreateStreamAsync();
        var big = new string('x', (1024 * 1024) + 1);
        _invoker.Respond = e => Task.FromResult(RecordingInvoker.Ok(e.Records.Count > 0 ? $$$"""{"state":{"blob":"{{{big}}}"}}""" : """{"state":{}}"""));
        var sut = CreateSut(stream, o => o.TumblingWindowInSeconds = harness.WindowSeconds);
        await harness.MoveToNextWindowAsync(harness.WindowSeconds);
        await harness.PutManyAsync(stream, 1);

        await sut.DrainAsync();

        var calls = _invoker.Calls;
        Assert.Equal(2, calls.Count);
        Assert.Equal((true, true), (calls[1].IsFinalInvokeForWindow, calls[1].IsWindowTerminatedEarly));
        Assert.Empty(calls[1].Records);
    }

    [Fact]
    public async Task Drain_WithACheckpointFromAnEarlierRunner_ResumesAfterIt()
    {
        var stream = await harness.CreateStreamAsync();
        await harness.PutManyAsync(stream, 3);
        await CreateSut(stream).DrainAsync();
        await harness.PutManyAsync(stream, 2, prefix: "more");
        var second = new RecordingInvoker();

        await new KinesisEventSourceMapping(harness.Kinesis, second, Options(stream), _checkpoints, _destination, harness.Time).DrainAsync();

        Assert.Equal(["more0", "more1"], second.DeliveredData);
    }

    [Fact]
    public async Task Poll_WhenTheInvokerTransportFails_DoesNotAdvanceAndRedeliversNextPoll()
    {
        var stream = await harness.CreateStreamAsync();
        await harness.PutManyAsync(stream, 3);
        _invoker.Respond = e => e.Index == 0 ? throw new HttpRequestException("connection refused") : Task.FromResult(RecordingInvoker.Ok());
        var sut = CreateSut(stream);

        await Assert.ThrowsAsync<HttpRequestException>(() => sut.PollOnceAsync());
        Assert.Null(await _checkpoints.GetAsync(ShardIds.Format(0)));
        await sut.DrainAsync();

        Assert.Equal([["r0", "r1", "r2"], ["r0", "r1", "r2"]], _invoker.Calls.Select(c => c.Data));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static KinesisEventSourceOptions Options(string stream, Action<KinesisEventSourceOptions>? configure = null)
    {
        var options = new KinesisEventSourceOptions { StreamName = stream, PollInterval = TimeSpan.Zero };
        configure?.Invoke(options);
        return options;
    }

    private KinesisEventSourceMapping CreateSut(string stream, Action<KinesisEventSourceOptions>? configure = null) =>
        new(harness.Kinesis, _invoker, Options(stream, configure), _checkpoints, _destination, harness.Time);
}

/// <summary>
/// The same behaviours against the embedded stream log: EmbeddedKinesis is a drop-in IKinesisApi for
/// the runner (issue 4 item 5's "same interface").
/// </summary>
public sealed class EmbeddedEventSourceMappingTests() : EventSourceMappingBehaviourTests(new EmbeddedStreamHarness());
