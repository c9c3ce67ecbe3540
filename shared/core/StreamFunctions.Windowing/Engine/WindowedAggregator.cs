using System.Runtime.CompilerServices;
using StreamFunctions.Windowing.Sketches;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Windowing.Engine;

/// <summary>
/// A keyed event-time window operator, as Flink's: events are assigned to windows (tumbling, sliding, session,
/// count), aggregated incrementally per key and window, and each window fires when the watermark reaches its
/// end. The watermark is per shard (the largest event time seen minus the out-of-orderness, minus 1 ms, as
/// Flink's bounded-out-of-orderness generator) and the operator's is the least of the shards that are not idle.
/// A late event whose window has fired but is within the allowed lateness updates it (the result fires again as
/// an update); a later one is returned as the side output and touches nothing.
/// </summary>
/// <remarks>
/// <para>The watermark moves only in <see cref="Advance"/>, never inside a batch: lateness is judged against the
/// watermark as of the batch's start, so replaying the same batches gives the same results.</para>
/// <para>When every shard is idle the watermark is the largest shard watermark, so a stream that goes quiet
/// still closes its last windows (Flink would wait).</para>
/// <para>Not thread-safe: one instance per shard group, as one Lambda invocation at a time.</para>
/// <para>The operator is one type over several files: the slot table (<c>WindowedAggregator.SlotTable.cs</c>), the
/// snapshot format (<c>WindowedAggregator.Snapshot.cs</c>), and one window assigner per kind (<c>Assigners/</c>),
/// which the <see cref="WindowSpec"/> names; the watermark clock and the timer queue are types of their own.</para>
/// </remarks>
public sealed partial class WindowedAggregator
{
    private readonly AggregationSpec _spec;
    private readonly WindowSpec _window;
    private readonly long _lateness;
    private readonly int _numeric;
    private readonly int _items;
    private readonly AggregateSpec[] _aggregates;
    private readonly AggregateSpec[] _sketchSpecs;
    private readonly int _valuesPerResult;

    // How events find their windows: one assigner per window kind, called once per batch (the tumbling one runs
    // its own loop, so the common case pays no dispatch per event).
    private readonly WindowAssigner _assigner;
    private readonly WatermarkClock _clock;
    private readonly TimerQueue _fireTimers = new();
    private readonly TimerQueue _cleanupTimers = new();
    private readonly List<int> _dirty = [];
    private readonly List<WindowResult> _fired = [];

    /// <summary>Creates the operator.</summary>
    /// <param name="spec">The aggregation.</param>
    /// <param name="time">Processing time, for shard idleness.</param>
    public WindowedAggregator(AggregationSpec spec, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _spec = spec.Validate();
        _window = spec.Window;
        _lateness = (long)spec.AllowedLateness.TotalMilliseconds;
        _clock = new WatermarkClock(time ?? TimeProvider.System, (long)spec.OutOfOrderness.TotalMilliseconds, spec.IdleTimeout);
        _numeric = spec.NumericColumns;
        _items = spec.ItemColumns;
        _aggregates = [.. spec.Aggregates];
        _sketchSpecs = [.. spec.Aggregates.Where(a => a.IsSketch)];
        _valuesPerResult = spec.Aggregates.Sum(a => a.Function == AggregateFunction.Quantiles ? a.Quantiles.Count : 1);
        (_layout, _stride) = RowLayout.Of(spec);
        _assigner = _window.CreateAssigner(this);
        Grow(64);
    }

    /// <summary>The operator's watermark (Unix ms): windows ending at or before it have fired.</summary>
    public long Watermark => _clock.Watermark;

    /// <summary>Live (key, window) states.</summary>
    public int LiveWindows => _slots - _free.Count;

    /// <summary>Adds a batch of one shard's events, as columns.</summary>
    /// <param name="shard">The shard (or Kafka partition) the events came from: watermarks are per shard.</param>
    /// <param name="keys">Each event's group key.</param>
    /// <param name="timestamps">Each event's time, Unix ms.</param>
    /// <param name="numbers">Numeric columns, event-major (<c>numbers[i * NumericColumns + c]</c>); NaN is a missing value.</param>
    /// <param name="items">Item columns, event-major; null is a missing item.</param>
    /// <returns>How many were applied and which were too late.</returns>
    /// <exception cref="ArgumentException">The columns' lengths disagree, or an event has no key; nothing of the batch is applied.</exception>
    public AddResult Add(string shard, ReadOnlySpan<string> keys, ReadOnlySpan<long> timestamps, ReadOnlySpan<double> numbers = default, ReadOnlySpan<string?> items = default)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (timestamps.Length != keys.Length || numbers.Length != keys.Length * _numeric || items.Length != keys.Length * _items)
        {
            throw new ArgumentException($"A batch of {keys.Length} events has {keys.Length} timestamps, {keys.Length * _numeric} numbers and {keys.Length * _items} items; got {timestamps.Length}, {numbers.Length} and {items.Length}.");
        }

        // Checked before any event is applied: a batch is taken whole or not at all.
        if (keys.IndexOf((string)null!) is var keyless and >= 0)
        {
            throw new ArgumentException($"The batch's event {keyless} has no key (null); every event needs one (an empty string is a key).", nameof(keys));
        }

        ref var clock = ref _clock.Activate(shard);
        List<int>? late = null;
        var applied = _assigner.Add(keys, timestamps, Watermark, numbers, items, ref late);
        foreach (var t in timestamps)
        {
            clock.MaxTimestamp = Math.Max(clock.MaxTimestamp, t);
        }

        return new AddResult(applied, late ?? (IReadOnlyList<int>)[]);
    }

    /// <summary>Marks a shard active without events (so it does not turn idle), e.g. on an empty poll.</summary>
    /// <param name="shard">The shard.</param>
    public void Touch(string shard) => _clock.Activate(shard);

    /// <summary>Forgets a shard (closed, or its lease lost): it no longer holds the watermark back.</summary>
    /// <param name="shard">The shard.</param>
    public void RemoveShard(string shard) => _clock.Remove(shard);

    /// <summary>
    /// Moves the watermark (the least watermark of the shards that are not idle) and returns the results that
    /// fire: windows the watermark reached, and updates of fired windows that late events changed.
    /// </summary>
    /// <returns>The results, in firing order.</returns>
    public IReadOnlyList<WindowResult> Advance()
    {
        _clock.Advance();
        return Fire();
    }

    /// <summary>Fires every window now, whatever the watermark (end of input, as Flink's final MAX_WATERMARK).</summary>
    /// <returns>The results.</returns>
    public IReadOnlyList<WindowResult> FireAll()
    {
        _clock.Watermark = long.MaxValue - 1;
        var results = Fire();
        foreach (var slot in Enumerable.Range(0, _slots).Where(s => (_flags[s] & (Live | Fired)) == Live).ToList())
        {
            // Count windows that never filled.
            Emit(slot);
        }

        return [.. results, .. TakeFired()];
    }

    private List<WindowResult> Fire()
    {
        var watermark = Watermark;
        while (_fireTimers.TryTakeDue(watermark, out var at, out var due))
        {
            foreach (var slot in due)
            {
                if ((_flags[slot] & (Live | Fired)) != Live || _info[slot].End - 1 != at)
                {
                    continue;
                }

                Emit(slot);
                var cleanup = at + _lateness;
                if (cleanup <= watermark)
                {
                    Free(slot);
                }
                else
                {
                    _cleanupTimers.Add(slot, cleanup);
                }
            }

            _fireTimers.Recycle(due);
        }

        foreach (var slot in _dirty)
        {
            if ((_flags[slot] & (Live | Dirty | Fired)) == (Live | Dirty | Fired))
            {
                Emit(slot);
            }
        }

        _dirty.Clear();
        while (_cleanupTimers.TryTakeDue(watermark, out var at, out var due))
        {
            foreach (var slot in due)
            {
                if ((_flags[slot] & Live) != 0 && _info[slot].End - 1 + _lateness == at)
                {
                    Free(slot);
                }
            }

            _cleanupTimers.Recycle(due);
        }

        return TakeFired();
    }

    // A key's characters are asked for a few events before it is hashed (see TumblingAssigner).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchKey(ReadOnlySpan<string> keys, int i)
    {
        const int Distance = 8;
        if (i + Distance < keys.Length)
        {
            KeyTable<KeyState>.Prefetch(keys[i + Distance]);
        }
    }

    // A copy of exactly the results' size (the list keeps its capacity for the next round, and a batch's results
    // stay off the large-object heap up to ~10,000 of them).
    private List<WindowResult> TakeFired()
    {
        var fired = _fired.ToList();
        _fired.Clear();
        return fired;
    }

    private void Emit(int slot)
    {
        var update = (_flags[slot] & Dirty) != 0;
        var row = Row(slot);
        var count = (long)row[0];
        var values = new AggregateValue[_valuesPerResult];
        var next = 0;
        var sketchIndex = 0;
        foreach (var a in _aggregates)
        {
            var column = a.IsNumeric ? _layout[a.Column] : default;
            switch (a.Function)
            {
                case AggregateFunction.Count:
                    values[next++] = new AggregateValue(a.Name, count);
                    break;
                case AggregateFunction.Sum:
                    values[next++] = new AggregateValue(a.Name, row[column.Sum]);
                    break;
                case AggregateFunction.Min:
                    values[next++] = new AggregateValue(a.Name, row[column.Count] == 0 ? null : row[column.Min]);
                    break;
                case AggregateFunction.Max:
                    values[next++] = new AggregateValue(a.Name, row[column.Count] == 0 ? null : row[column.Max]);
                    break;
                case AggregateFunction.Avg:
                    values[next++] = new AggregateValue(a.Name, row[column.Count] == 0 ? null : row[column.Sum] / row[column.Count]);
                    break;
                case AggregateFunction.DistinctCount:
                    values[next++] = new AggregateValue(a.Name, Math.Round((_sketches[(slot * _sketchSpecs.Length) + sketchIndex++] as HyperLogLog)?.Estimate() ?? 0));
                    break;
                case AggregateFunction.Quantiles:
                    var sketch = _sketches[(slot * _sketchSpecs.Length) + sketchIndex++] as DDSketch;
                    foreach (var q in a.Quantiles)
                    {
                        values[next++] = new AggregateValue(FormattableString.Invariant($"{a.Name}.p{q * 100:0.###}"), sketch is null ? null : sketch.Quantile(q));
                    }

                    break;
                case AggregateFunction.TopK:
                    var top = _sketches[(slot * _sketchSpecs.Length) + sketchIndex++] as TopK;
                    values[next++] = new AggregateValue(a.Name, null, top?.Top(a.K) ?? []);
                    break;
            }
        }

        var window = new TimeWindow(_info[slot].Start, _info[slot].End, IsCount: _assigner.Numbered);
        _fired.Add(new WindowResult(_spec.Name, _keys.Name(_info[slot].Key), window, count, update, values));
        _flags[slot] = (byte)((_flags[slot] | Fired) & ~Dirty);
    }

}
