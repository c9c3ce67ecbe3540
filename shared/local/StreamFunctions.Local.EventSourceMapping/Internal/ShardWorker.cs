using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using KinesisEventWriter = StreamFunctions.Lambda.Events.Kinesis.KinesisEventWriter;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.EventSourceMapping.Destinations;

namespace StreamFunctions.Local.EventSourceMapping.Internal;

/// <summary>
/// Polls one shard and invokes the function for its records: buffering (batch size, batching window,
/// payload size), lanes by partition key (parallelization factor), retries, bisect, partial batch
/// responses, record age, on-failure records, tumbling windows and the shard's checkpoint.
/// </summary>
internal sealed class ShardWorker(MappingContext context, Shard shard, bool hasKnownParent)
{
    private const int MaxStateBytes = 1024 * 1024;

    private readonly KinesisEventSourceOptions _options = context.Options;
    private readonly List<KinesisRecord> _buffer = [];
    private string? _iterator;
    private bool _exhausted;
    private DateTimeOffset _bufferSince;
    private long _bufferBytes;
    private TumblingWindow? _window;

    // Before the first checkpoint: the first record read from the starting position, so that a restart
    // after an error does not take a new LATEST (or AT_TIMESTAMP) position past records already read.
    private string? _origin;

    public string ShardId => shard.ShardId;

    /// <summary>Whether every record of the closed shard was processed and the end checkpointed.</summary>
    public bool Ended { get; private set; }

    private int Capacity => (int)Math.Min(10_000L * 10, (long)_options.BatchSize * Lanes);

    private int Lanes => _options.TumblingWindowInSeconds > 0 ? 1 : _options.ParallelizationFactor;

    /// <summary>One poll: read once, invoke for whatever is ready, checkpoint.</summary>
    public async Task<(int Read, int Invocations)> PassAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await PassCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Forget what was read but not processed: the next pass re-reads from the checkpoint.
            Reset();
            throw;
        }
    }

    private async Task<(int Read, int Invocations)> PassCoreAsync(CancellationToken cancellationToken)
    {
        var read = 0;
        var invocations = 0;
        if (!_exhausted && _buffer.Count < Capacity)
        {
            _iterator ??= await StartIteratorAsync(cancellationToken).ConfigureAwait(false);
            GetRecordsResponse response;
            try
            {
                response = await context.Kinesis.GetRecordsAsync(
                    new GetRecordsRequest(_iterator, Math.Min(10_000, Capacity - _buffer.Count)), cancellationToken).ConfigureAwait(false);
            }
            catch (KinesisExpiredIteratorException)
            {
                // Iterators last 5 minutes: start again from the checkpoint, dropping what was buffered.
                Reset();
                _iterator = await StartIteratorAsync(cancellationToken).ConfigureAwait(false);
                response = await context.Kinesis.GetRecordsAsync(new GetRecordsRequest(_iterator, Math.Min(10_000, Capacity)), cancellationToken).ConfigureAwait(false);
            }
            catch (KinesisException e) when (e.IsRetryable)
            {
                // Throttled (or a transient service error): the iterator is still good; read again next poll.
                response = new GetRecordsResponse([], _iterator, 0);
            }

            if (response.Records.Count > 0 && _buffer.Count == 0)
            {
                _bufferSince = context.Time.GetUtcNow();
            }

            if (response.Records.Count > 0)
            {
                _origin ??= response.Records[0].SequenceNumber;
            }

            foreach (var record in response.Records)
            {
                _buffer.Add(record);
                _bufferBytes += KinesisEventWriter.EstimateBytes(record);
            }

            read = response.Records.Count;
            _iterator = response.NextShardIterator;
            _exhausted = _iterator is null;
        }

        while (ReadyToDispatch())
        {
            var count = Math.Min(_buffer.Count, Capacity);
            var group = _buffer.GetRange(0, count);
            _buffer.RemoveRange(0, count);
            _bufferBytes = 0;
            foreach (var record in _buffer)
            {
                _bufferBytes += KinesisEventWriter.EstimateBytes(record);
            }

            _bufferSince = context.Time.GetUtcNow();
            invocations += await ProcessGroupAsync(group, cancellationToken).ConfigureAwait(false);
        }

        if (_window is not null && (_exhausted || context.Time.GetUtcNow() >= _window.End)
            && (_buffer.Count == 0 || !_window.Contains(_buffer[0].ApproximateArrivalTimestamp)))
        {
            invocations += await FinalInvokeAsync(terminatedEarly: false, cancellationToken).ConfigureAwait(false);
        }

        if (_exhausted && _buffer.Count == 0 && _window is null)
        {
            var last = await context.Checkpoints.GetAsync(ShardId, cancellationToken).ConfigureAwait(false);
            await context.Checkpoints.SetAsync(ShardId, new ShardCheckpoint(last?.SequenceNumber, ShardEnded: true), cancellationToken).ConfigureAwait(false);
            Ended = true;
        }

        return (read, invocations);
    }

    private bool ReadyToDispatch()
    {
        if (_buffer.Count == 0)
        {
            return false;
        }

        return _buffer.Count >= _options.BatchSize
            || _options.MaximumBatchingWindowInSeconds == 0
            || _exhausted
            || _bufferBytes >= KinesisEventSourceOptions.MaxPayloadBytes
            || context.Time.GetUtcNow() - _bufferSince >= TimeSpan.FromSeconds(_options.MaximumBatchingWindowInSeconds);
    }

    private void Reset()
    {
        _buffer.Clear();
        _bufferBytes = 0;
        _iterator = null;
        _exhausted = false;
    }

    private async Task<string> StartIteratorAsync(CancellationToken cancellationToken)
    {
        var checkpoint = await context.Checkpoints.GetAsync(ShardId, cancellationToken).ConfigureAwait(false);
        GetShardIteratorRequest request;
        if (checkpoint?.SequenceNumber is { } after)
        {
            request = new GetShardIteratorRequest(context.StreamName, ShardId, ShardIteratorType.AfterSequenceNumber, after);
        }
        else if (_origin is not null)
        {
            request = new GetShardIteratorRequest(context.StreamName, ShardId, ShardIteratorType.AtSequenceNumber, _origin);
        }
        else if (hasKnownParent)
        {
            // A child of a resharding starts at its first record, once its parents are done.
            request = new GetShardIteratorRequest(context.StreamName, ShardId, ShardIteratorType.TrimHorizon);
        }
        else
        {
            request = _options.StartingPosition switch
            {
                StartingPosition.Latest => new GetShardIteratorRequest(context.StreamName, ShardId, ShardIteratorType.Latest),
                StartingPosition.AtTimestamp => new GetShardIteratorRequest(context.StreamName, ShardId, ShardIteratorType.AtTimestamp, Timestamp: _options.StartingPositionTimestamp),
                _ => new GetShardIteratorRequest(context.StreamName, ShardId, ShardIteratorType.TrimHorizon),
            };
        }

        var response = await context.Kinesis.GetShardIteratorAsync(request, cancellationToken).ConfigureAwait(false);
        return response.ShardIterator;
    }

    private async Task<int> ProcessGroupAsync(List<KinesisRecord> group, CancellationToken cancellationToken)
    {
        using var tracker = new CheckpointTracker(ShardId, group, context.Checkpoints);
        if (Lanes == 1)
        {
            return await ProcessLaneAsync(group, tracker, cancellationToken).ConfigureAwait(false);
        }

        // One lane per hash bucket of the partition key: a key's records stay in order, in one lane.
        var lanes = new List<KinesisRecord>[Lanes];
        for (var i = 0; i < lanes.Length; i++)
        {
            lanes[i] = [];
        }

        foreach (var record in group)
        {
            lanes[(int)(HashKeys.FromPartitionKey(record.PartitionKey) % (UInt128)Lanes)].Add(record);
        }

        var counts = await Task.WhenAll(lanes.Where(l => l.Count > 0).Select(l => ProcessLaneAsync(l, tracker, cancellationToken))).ConfigureAwait(false);
        return counts.Sum();
    }

    private async Task<int> ProcessLaneAsync(List<KinesisRecord> lane, CheckpointTracker tracker, CancellationToken cancellationToken)
    {
        var invocations = 0;
        var start = 0;
        while (start < lane.Count)
        {
            var end = start;
            long bytes = 0;
            TumblingWindow? window = _options.TumblingWindowInSeconds > 0 ? TumblingWindow.Of(lane[start].ApproximateArrivalTimestamp, _options.TumblingWindowInSeconds) : null;
            while (end < lane.Count && end - start < _options.BatchSize)
            {
                var size = KinesisEventWriter.EstimateBytes(lane[end]);
                if (end > start && bytes + size > KinesisEventSourceOptions.MaxPayloadBytes)
                {
                    break;
                }

                if (window is not null && !window.Contains(lane[end].ApproximateArrivalTimestamp))
                {
                    break;
                }

                bytes += size;
                end++;
            }

            var batch = lane.GetRange(start, end - start);
            if (window is not null)
            {
                if (_window is not null && _window.Start != window.Start)
                {
                    invocations += await FinalInvokeAsync(terminatedEarly: false, cancellationToken).ConfigureAwait(false);
                }

                _window ??= window;
            }

            invocations += await ProcessBatchAsync(batch, tracker, cancellationToken).ConfigureAwait(false);
            if (_window is not null && _window.StateJson.Length > MaxStateBytes)
            {
                invocations += await FinalInvokeAsync(terminatedEarly: true, cancellationToken).ConfigureAwait(false);
            }

            start = end;
        }

        return invocations;
    }

    /// <summary>Invokes for one batch until every record is processed or discarded.</summary>
    private async Task<int> ProcessBatchAsync(List<KinesisRecord> batch, CheckpointTracker tracker, CancellationToken cancellationToken)
    {
        var invocations = 0;
        var work = new Stack<Attempt>();
        work.Push(new Attempt(batch, Retries: 0, Invocations: 0, LastResult: null, LastPayload: null));
        while (work.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var attempt = work.Pop();
            var records = attempt.Records;
            if (_options.MaximumRecordAgeInSeconds > 0)
            {
                var cutoff = context.Time.GetUtcNow() - TimeSpan.FromSeconds(_options.MaximumRecordAgeInSeconds);
                var expired = 0;
                while (expired < records.Count && records[expired].ApproximateArrivalTimestamp < cutoff)
                {
                    expired++;
                }

                if (expired > 0)
                {
                    await DiscardAsync(records.GetRange(0, expired), OnFailureConditions.RecordAgeExceeded, attempt, tracker, cancellationToken).ConfigureAwait(false);
                    records = records.GetRange(expired, records.Count - expired);
                    if (records.Count == 0)
                    {
                        continue;
                    }
                }
            }

            var payload = KinesisEventWriter.Write(records, ShardId, context.StreamArn, context.Region, _options.InvokeIdentityArn, _window is { } open ? (open.Start, open.End, open.StateJson) : null, false, false);
            var result = await context.Invoker.InvokeAsync(payload, cancellationToken).ConfigureAwait(false);
            invocations++;
            if (_window is not null)
            {
                _window.Invocations++;
            }

            var response = FunctionResponse.Interpret(result, records, _options.ReportBatchItemFailures, _window is not null);
            if (response.StateJson is not null && _window is not null)
            {
                _window.StateJson = response.StateJson;
            }

            var next = attempt with { Invocations = attempt.Invocations + 1, LastResult = result, LastPayload = payload };
            switch (response.Outcome)
            {
                case BatchOutcome.Succeeded:
                    await tracker.MarkDoneAsync(records, cancellationToken).ConfigureAwait(false);
                    break;

                case BatchOutcome.PartiallyFailed:
                    await tracker.MarkDoneAsync(records.Take(response.FirstFailedIndex), cancellationToken).ConfigureAwait(false);
                    var remaining = records.GetRange(response.FirstFailedIndex, records.Count - response.FirstFailedIndex);
                    if (_options.BisectBatchOnFunctionError && response.FirstFailedIndex > 0)
                    {
                        // Bisect splits at the returned sequence number; a split uses no retry.
                        work.Push(next with { Records = remaining });
                    }
                    else
                    {
                        await RetryOrDiscardAsync(next with { Records = remaining }, work, tracker, cancellationToken).ConfigureAwait(false);
                    }

                    break;

                default:
                    if (_options.BisectBatchOnFunctionError && records.Count > 1)
                    {
                        var half = records.Count / 2;
                        work.Push(next with { Records = records.GetRange(half, records.Count - half) });
                        work.Push(next with { Records = records.GetRange(0, half) });
                    }
                    else
                    {
                        await RetryOrDiscardAsync(next with { Records = records }, work, tracker, cancellationToken).ConfigureAwait(false);
                    }

                    break;
            }
        }

        return invocations;
    }

    private async Task RetryOrDiscardAsync(Attempt failed, Stack<Attempt> work, CheckpointTracker tracker, CancellationToken cancellationToken)
    {
        var retries = failed.Retries + 1;
        if (_options.MaximumRetryAttempts >= 0 && retries > _options.MaximumRetryAttempts)
        {
            await DiscardAsync(failed.Records, OnFailureConditions.RetryAttemptsExhausted, failed, tracker, cancellationToken).ConfigureAwait(false);
            return;
        }

        work.Push(failed with { Retries = retries });
    }

    private async Task DiscardAsync(List<KinesisRecord> records, string condition, Attempt attempt, CheckpointTracker tracker, CancellationToken cancellationToken)
    {
        if (context.OnFailure is { } destination)
        {
            var result = attempt.LastResult;
            var record = new OnFailureRecord(
                new OnFailureRequestContext(result?.RequestId ?? Guid.NewGuid().ToString(), _options.FunctionArn, condition, attempt.Invocations),
                new OnFailureResponseContext(result?.StatusCode ?? 0, result?.ExecutedVersion, result?.FunctionError),
                context.Time.GetUtcNow(),
                new KinesisBatchInfo(
                    ShardId,
                    records[0].SequenceNumber,
                    records[^1].SequenceNumber,
                    records[0].ApproximateArrivalTimestamp,
                    records[^1].ApproximateArrivalTimestamp,
                    records.Count,
                    context.StreamArn),
                attempt.LastPayload);
            await destination.SendAsync(record, cancellationToken).ConfigureAwait(false);
        }

        await tracker.MarkDoneAsync(records, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> FinalInvokeAsync(bool terminatedEarly, CancellationToken cancellationToken)
    {
        var window = _window!;
        var invocations = 0;
        var retries = 0;
        var payload = KinesisEventWriter.Write([], ShardId, context.StreamArn, context.Region, _options.InvokeIdentityArn, (window.Start, window.End, window.StateJson), true, terminatedEarly);
        while (true)
        {
            var result = await context.Invoker.InvokeAsync(payload, cancellationToken).ConfigureAwait(false);
            invocations++;
            if (result.Succeeded || (_options.MaximumRetryAttempts >= 0 && ++retries > _options.MaximumRetryAttempts))
            {
                break;
            }
        }

        // The next window starts with empty state.
        _window = null;
        return invocations;
    }

    private sealed record Attempt(List<KinesisRecord> Records, int Retries, int Invocations, LambdaInvocationResult? LastResult, byte[]? LastPayload);
}
