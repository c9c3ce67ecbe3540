using System.Buffers;
using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator;

/// <summary>Points in a batch where a test can stop the process (crash tests).</summary>
public enum AggregatorStage
{
    /// <summary>The results are written, the side output and the state not.</summary>
    AfterResults,

    /// <summary>The side output is written, the state not.</summary>
    AfterSideOutput,

    /// <summary>The state and checkpoint are committed.</summary>
    AfterCommit,
}

/// <summary>What one batch did.</summary>
/// <param name="Records">User records in the batch (after de-aggregation).</param>
/// <param name="Skipped">Records already applied (a redelivery).</param>
/// <param name="Applied">Records applied to windows.</param>
/// <param name="Late">Records later than the allowed lateness (side output).</param>
/// <param name="Invalid">Records without a usable key, time or value (side output, with the reason).</param>
/// <param name="Results">Window results written.</param>
/// <param name="Watermark">The shard's watermark after the batch (Unix ms).</param>
public sealed record AggregatorBatchResult(int Records, int Skipped, int Applied, int Late, int Invalid, int Results, long Watermark)
{
    /// <summary>The counts of both, with the given watermark.</summary>
    /// <param name="other">The other result.</param>
    /// <param name="watermark">The watermark of the sum.</param>
    /// <returns>The sum.</returns>
    public AggregatorBatchResult Plus(AggregatorBatchResult other, long watermark)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Records + other.Records, Skipped + other.Skipped, Applied + other.Applied, Late + other.Late, Invalid + other.Invalid, Results + other.Results, watermark);
    }
}

/// <summary>
/// The windowed aggregation of a Kinesis shard or a Kafka partition on Lambda. Per batch (per partition, for Kafka): the shard's state is loaded (or reused
/// from the previous invocation when its version is unchanged), records up to its checkpoint are skipped, the
/// rest are de-aggregated and read (key, event time, values) in one pass each, applied, and the watermark
/// moved; then the fired results are written (by result key: overwriting), the late and unreadable records
/// go to the side output (one object per batch), and the snapshot and checkpoint are committed together.
/// A crash anywhere before the commit replays the batch on the old state, which gives the same results and
/// the same side-output object: counts are never doubled.
/// </summary>
/// <remarks>
/// State, watermarks and results are per shard (per topic-partition, named <c>topic-partition</c>, with offsets as
/// sequence numbers), as Lambda's own tumbling windows: a key's events must all reach one shard (the partition
/// key is the group key, or the shard-router re-keys the stream by it).
/// </remarks>
public sealed class StreamWindowAggregator
{
    private readonly AggregatorConfig _config;
    private readonly IAggregatorStateStore _store;
    private readonly IWindowResultWriter _results;
    private readonly ISideOutput? _sideOutput;
    private readonly TimeProvider _time;
    private readonly Action<AggregatorStage>? _onStage;
    private readonly RecordReader _reader;
    private readonly Dictionary<string, (long Version, WindowedAggregator Engine)> _warm = new(StringComparer.Ordinal);

    /// <summary>Creates the aggregator.</summary>
    /// <param name="config">What to aggregate.</param>
    /// <param name="store">The state store.</param>
    /// <param name="results">Where results go.</param>
    /// <param name="sideOutput">Where late and unreadable records go; null counts and logs them only.</param>
    /// <param name="time">Processing time (idleness).</param>
    /// <param name="onStage">Called at each stage (fault injection in tests).</param>
    public StreamWindowAggregator(AggregatorConfig config, IAggregatorStateStore store, IWindowResultWriter results, ISideOutput? sideOutput = null, TimeProvider? time = null, Action<AggregatorStage>? onStage = null)
    {
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _results = results ?? throw new ArgumentNullException(nameof(results));
        _sideOutput = sideOutput;
        _time = time ?? TimeProvider.System;
        _onStage = onStage;
        _reader = new RecordReader(config);
    }

    /// <summary>
    /// Processes one stream batch: a Kinesis shard's records, or a Kafka event's topic-partitions (MSK or self-managed),
    /// each as a shard named <c>topic-partition</c>, one after another in name order.
    /// </summary>
    /// <param name="batch">The event's records (the handler reads them with <see cref="StreamEventReader"/>).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>What was done, summed over the partitions (the watermark is the least of theirs).</returns>
    public async Task<AggregatorBatchResult> ProcessAsync(StreamRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Kind == StreamSourceKind.Kinesis && batch.Partitions.Count == 1)
        {
            var only = batch.Partitions[0];
            return await ProcessShardAsync(only.Key, InputRecords.From(only), cancellationToken).ConfigureAwait(false);
        }

        if (batch.Partitions.Count == 0)
        {
            return new AggregatorBatchResult(0, 0, 0, 0, 0, 0, long.MinValue);
        }

        var total = new AggregatorBatchResult(0, 0, 0, 0, 0, 0, long.MaxValue);
        foreach (var partition in batch.Partitions.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var one = await ProcessShardAsync(partition.Key, InputRecords.From(partition), cancellationToken).ConfigureAwait(false);
            total = total.Plus(one, Math.Min(total.Watermark, one.Watermark));
        }

        return total.Watermark == long.MaxValue ? total with { Watermark = long.MinValue } : total;
    }

    /// <summary>
    /// Ends a bounded input (the local pipeline's last step, a backfill's end): fires every window of the shard
    /// whatever the watermark, as Flink does at the end of a bounded stream, writes the results, and commits the
    /// state with the watermark at its end, so records that arrive afterwards are late.
    /// </summary>
    /// <param name="shard">The shard (or <c>topic-partition</c>).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The results written.</returns>
    public async Task<int> FinishAsync(string shard, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(shard);
        var name = _config.Spec.Name;
        var state = await _store.LoadAsync(name, shard, cancellationToken).ConfigureAwait(false);
        if (state.Snapshot is not { } snapshot || state.LastSequence is not { } last)
        {
            return 0;
        }

        var engine = WindowedAggregator.Restore(_config.Spec, snapshot, _time);
        _warm.Remove(shard);
        var results = engine.FireAll();
        await _results.WriteAsync($"{shard}-end-{last}", results, cancellationToken).ConfigureAwait(false);
        await _store.CommitAsync(name, shard, state.Version, last, engine.Snapshot(), cancellationToken).ConfigureAwait(false);
        return results.Count;
    }

    private async Task<AggregatorBatchResult> ProcessShardAsync(string shard, IReadOnlyList<InputRecord> records, CancellationToken cancellationToken)
    {
        var name = _config.Spec.Name;
        var state = await _store.LoadAsync(name, shard, cancellationToken).ConfigureAwait(false);
        var engine = _warm.TryGetValue(shard, out var warm) && warm.Version == state.Version && state.Version > 0
            ? warm.Engine
            : state.Snapshot is { } snapshot ? WindowedAggregator.Restore(_config.Spec, snapshot, _time) : new WindowedAggregator(_config.Spec, _time);
        _warm.Remove(shard);

        IReadOnlyList<InputRecord> fresh = state.LastSequence is null ? records : [.. records.Where(r => SequenceNumbers.Compare(r.Sequence, state.LastSequence) > 0)];
        if (fresh.Count == 0)
        {
            _warm[shard] = (state.Version, engine);
            return new AggregatorBatchResult(0, records.Count, 0, 0, 0, 0, engine.Watermark);
        }

        var batch = _reader.Read(fresh);
        var added = engine.Add(shard, batch.Keys.ToArray(), batch.Times.ToArray(), batch.Numbers.ToArray(), batch.Items.ToArray());
        var results = engine.Advance();
        await _results.WriteAsync($"{shard}-{fresh[0].Sequence}-{fresh[^1].Sequence}", results, cancellationToken).ConfigureAwait(false);
        _onStage?.Invoke(AggregatorStage.AfterResults);

        var side = new ArrayBufferWriter<byte>();
        foreach (var index in added.Late)
        {
            RecordReader.WriteSide(side, "late", $"Event time {batch.Times[index]} is later than the allowed lateness (watermark {engine.Watermark}).", batch.Sources[index], batch.Times[index]);
        }

        foreach (var (source, reason) in batch.Invalid)
        {
            RecordReader.WriteSide(side, "invalid", reason, source, null);
        }

        if (side.WrittenCount > 0 && _sideOutput is not null)
        {
            await _sideOutput.WriteAsync(name, shard, fresh[0].Sequence, fresh[^1].Sequence, side.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        _onStage?.Invoke(AggregatorStage.AfterSideOutput);
        var version = await _store.CommitAsync(name, shard, state.Version, fresh[^1].Sequence, engine.Snapshot(), cancellationToken).ConfigureAwait(false);
        _warm[shard] = (version, engine);
        _onStage?.Invoke(AggregatorStage.AfterCommit);
        return new AggregatorBatchResult(batch.Keys.Count + batch.Invalid.Count, records.Count - fresh.Count, added.Applied, added.Late.Count, batch.Invalid.Count, results.Count, engine.Watermark);
    }
}

/// <summary>Stream records as the reader's input records.</summary>
internal static class InputRecords
{
    public static IReadOnlyList<InputRecord> From(StreamPartition partition) => From(partition.Records);

    public static IReadOnlyList<InputRecord> From(IReadOnlyList<StreamRecord> records)
    {
        var inputs = new InputRecord[records.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            var r = records[i];
            inputs[i] = r.MayBeAggregated
                ? new InputRecord(r.Sequence, r.PartitionKey, r.Timestamp, r.Data, MayBeAggregated: true)
                : new InputRecord(r.Sequence, r.Key is { } key ? Encoding.UTF8.GetString(key.Span) : null, r.Timestamp, r.Data, MayBeAggregated: false);
        }

        return inputs;
    }
}
