using StreamFunctions.Lambda.Events;

namespace StreamFunctions.BatchProcessing;

/// <summary>
/// Runs a per-record handler over a batch with Lambda's partial-batch semantics. Every record counts as
/// failed until its handler succeeds or it is safely archived (so nothing is lost); retryable errors are
/// retried with backoff up to a budget; poison records (and records whose budget ran out) are archived with
/// their payload and counted as processed, so one bad record never blocks a shard. Without an archive,
/// poison records are reported as failures instead, and Lambda's own retries and destinations handle them.
/// </summary>
public sealed class BatchProcessor
{
    private readonly BatchProcessorOptions _options;
    private readonly IPoisonRecordArchive? _archive;
    private readonly IErrorClassifier _classifier;
    private readonly TimeProvider _time;
    private readonly Random _random;

    /// <summary>Creates the processor.</summary>
    /// <param name="options">Retries and parallelism; defaults when null.</param>
    /// <param name="archive">Where poison records go; null reports them as failures.</param>
    /// <param name="classifier">Retryable vs poison; <see cref="DefaultErrorClassifier"/> when null.</param>
    /// <param name="time">The clock for retry delays.</param>
    /// <param name="random">The jitter source.</param>
    public BatchProcessor(BatchProcessorOptions? options = null, IPoisonRecordArchive? archive = null, IErrorClassifier? classifier = null, TimeProvider? time = null, Random? random = null)
    {
        _options = options ?? new BatchProcessorOptions();
        _options.Validate();
        _archive = archive;
        _classifier = classifier ?? DefaultErrorClassifier.Instance;
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
    }

    /// <summary>Processes a batch.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="records">The batch, in the order Lambda delivered it.</param>
    /// <param name="handler">Processes one record; throws to fail it.</param>
    /// <param name="ordering">Per-key ordered (Kinesis, Kafka) or unordered (SQS).</param>
    /// <param name="cancellationToken">Stops processing; unprocessed records are reported as failed.</param>
    /// <returns>The response for Lambda and each record's outcome.</returns>
    public async Task<BatchResult> ProcessAsync<T>(
        IReadOnlyList<BatchRecord<T>> records,
        Func<T, CancellationToken, ValueTask> handler,
        BatchOrdering ordering,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(handler);
        var outcomes = new RecordOutcome[records.Count];
        Array.Fill(outcomes, RecordOutcome.Failed);

        // Lanes: one per ordering key (in first-seen order), or one per record when unordered.
        var lanes = new List<List<int>>();
        var byKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            var key = ordering == BatchOrdering.PerKeyOrdered ? records[i].OrderingKey ?? string.Empty : null;
            if (key is null)
            {
                lanes.Add([i]);
            }
            else if (byKey.TryGetValue(key, out var lane))
            {
                lane.Add(i);
            }
            else
            {
                byKey[key] = lane = [i];
                lanes.Add(lane);
            }
        }

        using var gate = new SemaphoreSlim(_options.MaxDegreeOfParallelism);
        var tasks = lanes.Select(async lane =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await RunLaneAsync(records, lane, handler, outcomes, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Whatever did not finish stays Failed (or Skipped behind a failure): Lambda redelivers it.
        }

        var response = new StreamsEventResponse();
        for (var i = 0; i < records.Count; i++)
        {
            if (outcomes[i] == RecordOutcome.Failed)
            {
                response.BatchItemFailures.Add(new BatchItemFailure { ItemIdentifier = records[i].ItemIdentifier });
            }
        }

        return new BatchResult(response, outcomes);
    }

    private async Task RunLaneAsync<T>(IReadOnlyList<BatchRecord<T>> records, List<int> lane, Func<T, CancellationToken, ValueTask> handler, RecordOutcome[] outcomes, CancellationToken cancellationToken)
    {
        for (var position = 0; position < lane.Count; position++)
        {
            var index = lane[position];
            var outcome = await RunRecordAsync(records[index], handler, cancellationToken).ConfigureAwait(false);
            outcomes[index] = outcome;
            if (outcome == RecordOutcome.Failed)
            {
                // Lambda resumes this key at this record: leave the rest of the key for redelivery.
                for (var rest = position + 1; rest < lane.Count; rest++)
                {
                    outcomes[lane[rest]] = RecordOutcome.Skipped;
                }

                return;
            }
        }
    }

    private async Task<RecordOutcome> RunRecordAsync<T>(BatchRecord<T> record, Func<T, CancellationToken, ValueTask> handler, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Exception error;
            try
            {
                await handler(record.Record, cancellationToken).ConfigureAwait(false);
                return RecordOutcome.Succeeded;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                error = e;
            }

            var kind = _classifier.Classify(error);
            if (kind == FailureKind.Retryable && attempt < _options.MaxAttempts)
            {
                var ceiling = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
                await Task.Delay(TimeSpan.FromMilliseconds(_random.NextDouble() * ceiling), _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return await ArchiveAsync(record, error, kind == FailureKind.Poison ? "Poison" : "RetryBudgetExhausted", attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<RecordOutcome> ArchiveAsync<T>(BatchRecord<T> record, Exception error, string reason, int attempts, CancellationToken cancellationToken)
    {
        if (_archive is null)
        {
            return RecordOutcome.Failed;
        }

        try
        {
            await _archive.ArchiveAsync(new PoisonRecord(
                record.Source,
                record.Partition,
                record.ItemIdentifier,
                record.OrderingKey,
                record.Payload,
                error.GetType().FullName ?? error.GetType().Name,
                error.Message,
                reason,
                attempts,
                _options.FunctionVersion,
                _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            return RecordOutcome.Archived;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not archived means not safe to skip: report it, so Lambda delivers it again.
            return RecordOutcome.Failed;
        }
    }
}
