using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using StreamFunctions.Aggregation.Sketches;
using StreamFunctions.Aggregation.Windows;
using StreamFunctions.Storage.Compression;
using StreamFunctions.Storage.Exceptions;

namespace StreamFunctions.Aggregation.Engine;

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
/// </remarks>
public sealed class WindowedAggregator
{
    private const byte Live = 1, Fired = 2, Dirty = 4;
    private const int SnapshotMagic = 0x47414653; // "SFAG"
    private readonly AggregationSpec _spec;
    private readonly TimeProvider _time;
    private readonly WindowSpec _window;
    private readonly long _lateness;
    private readonly long _outOfOrderness;
    private readonly int _numeric;
    private readonly int _items;
    private readonly AggregateSpec[] _sketchSpecs;
    private readonly int _valuesPerResult;
    private readonly Dictionary<WindowKey, int> _index = [];

    // Keys are interned while they have live windows: the string is hashed once per event (with the
    // dictionary's fast non-randomized string hash, which it abandons for the randomized one if keys collide),
    // and each key remembers the window it touched last, so most events of a tumbling window skip the index.
    private readonly Dictionary<string, int> _keyIds = new(StringComparer.Ordinal);
    private readonly Stack<int> _freeKeys = new();
    private string?[] _keyNames = new string?[64];
    private int[] _keyWindows = new int[64];
    private Recent[] _recent = new Recent[64];
    private int _keyCount;
    private readonly Dictionary<string, List<int>> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _countWindows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ShardClock> _shards = new(StringComparer.Ordinal);
    private readonly TimerQueue _fireTimers = new();
    private readonly TimerQueue _cleanupTimers = new();
    private readonly List<int> _dirty = [];
    private readonly List<WindowResult> _fired = [];
    private readonly Stack<int> _free = new();

    // Slots: one per live (key, window). An event touches its slot and its numeric accumulators: two cache lines.
    private Slot[] _slotData = [];
    private Numeric[] _numbers = [];
    private object?[] _sketches = [];
    private int _slots;

    /// <summary>Creates the operator.</summary>
    /// <param name="spec">The aggregation.</param>
    /// <param name="time">Processing time, for shard idleness.</param>
    public WindowedAggregator(AggregationSpec spec, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _spec = spec.Validate();
        _time = time ?? TimeProvider.System;
        _window = spec.Window;
        _lateness = (long)spec.AllowedLateness.TotalMilliseconds;
        _outOfOrderness = (long)spec.OutOfOrderness.TotalMilliseconds;
        _numeric = spec.NumericColumns;
        _items = spec.ItemColumns;
        _sketchSpecs = [.. spec.Aggregates.Where(a => a.IsSketch)];
        _valuesPerResult = spec.Aggregates.Sum(a => a.Function == AggregateFunction.Quantiles ? a.Quantiles.Count : 1);
        Grow(64);
    }

    /// <summary>The operator's watermark (Unix ms): windows ending at or before it have fired.</summary>
    public long Watermark { get; private set; } = long.MinValue;

    /// <summary>Live (key, window) states.</summary>
    public int LiveWindows => _slots - _free.Count;

    /// <summary>Adds a batch of one shard's events, as columns.</summary>
    /// <param name="shard">The shard (or Kafka partition) the events came from: watermarks are per shard.</param>
    /// <param name="keys">Each event's group key.</param>
    /// <param name="timestamps">Each event's time, Unix ms.</param>
    /// <param name="numbers">Numeric columns, event-major (<c>numbers[i * NumericColumns + c]</c>); NaN is a missing value.</param>
    /// <param name="items">Item columns, event-major; null is a missing item.</param>
    /// <returns>How many were applied and which were too late.</returns>
    public AddResult Add(string shard, ReadOnlySpan<string> keys, ReadOnlySpan<long> timestamps, ReadOnlySpan<double> numbers = default, ReadOnlySpan<string?> items = default)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (timestamps.Length != keys.Length || numbers.Length != keys.Length * _numeric || items.Length != keys.Length * _items)
        {
            throw new ArgumentException($"A batch of {keys.Length} events has {keys.Length} timestamps, {keys.Length * _numeric} numbers and {keys.Length * _items} items; got {timestamps.Length}, {numbers.Length} and {items.Length}.");
        }

        ref var clock = ref CollectionsMarshal.GetValueRefOrAddDefault(_shards, shard, out var existed);
        if (!existed)
        {
            clock = new ShardClock { MaxTimestamp = long.MinValue };
        }

        clock.LastActive = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var watermark = Watermark;
        var maxTimestamp = clock.MaxTimestamp;
        List<int>? late = null;
        var applied = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            var t = timestamps[i];
            maxTimestamp = Math.Max(maxTimestamp, t);
            var ok = _window.Kind switch
            {
                WindowKind.Tumbling => AddTumbling(keys[i], t, watermark, numbers, items, i),
                WindowKind.Sliding => AddSliding(keys[i], t, watermark, numbers, items, i),
                WindowKind.Session => AddSession(keys[i], t, watermark, numbers, items, i),
                _ => AddCount(keys[i], numbers, items, i),
            };
            if (ok)
            {
                applied++;
            }
            else
            {
                (late ??= []).Add(i);
            }
        }

        clock.MaxTimestamp = maxTimestamp;
        return new AddResult(applied, late ?? (IReadOnlyList<int>)[]);
    }

    /// <summary>Marks a shard active without events (so it does not turn idle), e.g. on an empty poll.</summary>
    /// <param name="shard">The shard.</param>
    public void Touch(string shard)
    {
        ref var clock = ref CollectionsMarshal.GetValueRefOrAddDefault(_shards, shard, out var existed);
        if (!existed)
        {
            clock = new ShardClock { MaxTimestamp = long.MinValue };
        }

        clock.LastActive = _time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Forgets a shard (closed, or its lease lost): it no longer holds the watermark back.</summary>
    /// <param name="shard">The shard.</param>
    public void RemoveShard(string shard) => _shards.Remove(shard);

    /// <summary>
    /// Moves the watermark (the least watermark of the shards that are not idle) and returns the results that
    /// fire: windows the watermark reached, and updates of fired windows that late events changed.
    /// </summary>
    /// <returns>The results, in firing order.</returns>
    public IReadOnlyList<WindowResult> Advance()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long active = long.MaxValue, all = long.MinValue;
        var anyActive = false;
        foreach (var (_, clock) in _shards)
        {
            if (clock.MaxTimestamp == long.MinValue)
            {
                continue;
            }

            var shardWatermark = clock.MaxTimestamp - _outOfOrderness - 1;
            all = Math.Max(all, shardWatermark);
            if (_spec.IdleTimeout is not { } idle || now - clock.LastActive < (long)idle.TotalMilliseconds)
            {
                active = Math.Min(active, shardWatermark);
                anyActive = true;
            }
        }

        var candidate = anyActive ? active : all;
        if (candidate > Watermark)
        {
            Watermark = candidate;
        }

        return Fire();
    }

    /// <summary>Fires every window now, whatever the watermark (end of input, as Flink's final MAX_WATERMARK).</summary>
    /// <returns>The results.</returns>
    public IReadOnlyList<WindowResult> FireAll()
    {
        Watermark = long.MaxValue - 1;
        var results = Fire();
        foreach (var slot in Enumerable.Range(0, _slots).Where(s => (_slotData[s].Flags & Live) != 0 && (_slotData[s].Flags & Fired) == 0).ToList())
        {
            // Count windows that never filled.
            Emit(slot);
        }

        var fired = _fired.ToList();
        _fired.Clear();
        return [.. results, .. fired];
    }

    /// <summary>
    /// Saves the whole state — watermark, shard clocks, every live window with its aggregates and sketches — as
    /// ZSTD-compressed bytes that <see cref="Restore"/> turns back into an operator that behaves exactly as this one.
    /// </summary>
    /// <returns>The snapshot.</returns>
    public byte[] Snapshot()
    {
        using var buffer = new MemoryStream();
        using (var compressor = CompressionStreams.CreateCompressor(buffer, new CompressionOptions { Codec = CompressionCodec.Zstd, Level = 3 }, leaveOpen: true))
        using (var writer = new BinaryWriter(compressor))
        {
            writer.Write(SnapshotMagic);
            writer.Write(Fingerprint(_spec));
            writer.Write(Watermark);
            writer.Write(_shards.Count);
            foreach (var (name, clock) in _shards)
            {
                writer.Write(name);
                writer.Write(clock.MaxTimestamp);
                writer.Write(clock.LastActive);
            }

            writer.Write(_countWindows.Count);
            foreach (var (key, ordinal) in _countWindows)
            {
                writer.Write(key);
                writer.Write(ordinal);
            }

            writer.Write(LiveWindows);
            for (var slot = 0; slot < _slots; slot++)
            {
                ref var data = ref _slotData[slot];
                if ((data.Flags & Live) == 0)
                {
                    continue;
                }

                writer.Write(_keyNames[data.KeyId]!);
                writer.Write(data.Start);
                writer.Write(data.End);
                writer.Write(data.Count);
                writer.Write(data.Flags);
                foreach (var n in _numbers.AsSpan(slot * _numeric, _numeric))
                {
                    writer.Write(n.Count);
                    writer.Write(n.Sum);
                    writer.Write(n.Min);
                    writer.Write(n.Max);
                }

                for (var k = 0; k < _sketchSpecs.Length; k++)
                {
                    SketchFormat.Write(writer, _sketches[(slot * _sketchSpecs.Length) + k]);
                }
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Rebuilds an operator from <see cref="Snapshot"/>.</summary>
    /// <param name="spec">The same aggregation the snapshot was taken with.</param>
    /// <param name="snapshot">The bytes.</param>
    /// <param name="time">Processing time.</param>
    /// <returns>The operator.</returns>
    /// <exception cref="FormatException">The bytes are not a snapshot, or were taken with a different window or aggregates.</exception>
    public static WindowedAggregator Restore(AggregationSpec spec, ReadOnlyMemory<byte> snapshot, TimeProvider? time = null)
    {
        var engine = new WindowedAggregator(spec, time);
        try
        {
            using var source = new MemoryStream(snapshot.ToArray(), writable: false);
            using var decompressor = CompressionStreams.CreateDecompressor(source, CompressionCodec.Zstd);
            using var reader = new BinaryReader(decompressor);
            if (reader.ReadInt32() != SnapshotMagic)
            {
                throw new FormatException("Not a windowed-aggregation snapshot.");
            }

            var fingerprint = reader.ReadString();
            if (fingerprint != Fingerprint(spec))
            {
                throw new FormatException($"The state was saved by a different aggregation ({fingerprint}); this one is {Fingerprint(spec)}. Changing windows or aggregates needs a new aggregation name (or the old state deleted).");
            }

            engine.Watermark = reader.ReadInt64();
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                engine._shards[reader.ReadString()] = new ShardClock { MaxTimestamp = reader.ReadInt64(), LastActive = reader.ReadInt64() };
            }

            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                engine._countWindows[reader.ReadString()] = reader.ReadInt64();
            }

            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                var key = reader.ReadString();
                var start = reader.ReadInt64();
                var end = reader.ReadInt64();
                var slot = engine.NewSlot(engine.Intern(key), start, end);
                ref var data = ref engine._slotData[slot];
                data.Count = reader.ReadInt64();
                data.Flags = reader.ReadByte();
                foreach (ref var number in engine._numbers.AsSpan(slot * engine._numeric, engine._numeric))
                {
                    number = new Numeric { Count = reader.ReadInt64(), Sum = reader.ReadDouble(), Min = reader.ReadDouble(), Max = reader.ReadDouble() };
                }

                for (var k = 0; k < engine._sketchSpecs.Length; k++)
                {
                    engine._sketches[(slot * engine._sketchSpecs.Length) + k] = SketchFormat.Read(reader, engine._sketchSpecs[k]);
                }

                engine.Reindex(slot);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidDataException or ArgumentException or CompressedDataException)
        {
            throw new FormatException($"The aggregation state is corrupt: {e.Message}", e);
        }

        return engine;
    }

    // What must not change under a saved state: the window and the aggregates.
    private static string Fingerprint(AggregationSpec spec) =>
        FormattableString.Invariant($"{spec.Window.Kind}:{spec.Window.Size}/{spec.Window.Slide}/{spec.Window.Offset}/{spec.Window.Gap}/{spec.Window.Count};")
        + string.Join(',', spec.Aggregates.Select(a => FormattableString.Invariant($"{a.Name}={a.Function}({a.Column},{a.Precision},{a.RelativeAccuracy},{a.K},{a.Capacity})")));

    // A restored slot's index entry and timers.
    private void Reindex(int slot)
    {
        ref var data = ref _slotData[slot];
        switch (_window.Kind)
        {
            case WindowKind.Session:
                ref var sessions = ref CollectionsMarshal.GetValueRefOrAddDefault(_sessions, _keyNames[data.KeyId]!, out _);
                (sessions ??= []).Add(slot);
                break;
            case WindowKind.Count:
                _index[new WindowKey(data.KeyId, data.Start)] = slot;
                return;
            default:
                _index[new WindowKey(data.KeyId, data.Start)] = slot;
                break;
        }

        if ((data.Flags & Fired) == 0)
        {
            _fireTimers.Add(slot, data.End - 1);
        }
        else
        {
            _cleanupTimers.Add(slot, data.End - 1 + _lateness);
            if ((data.Flags & Dirty) != 0)
            {
                _dirty.Add(slot);
            }
        }
    }

    private List<WindowResult> Fire()
    {
        var watermark = Watermark;
        while (_fireTimers.TryTakeDue(watermark, out var at, out var due))
        {
            foreach (var slot in due)
            {
                ref var data = ref _slotData[slot];
                if ((data.Flags & Live) == 0 || data.End - 1 != at || (data.Flags & Fired) != 0)
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
            if ((_slotData[slot].Flags & (Live | Dirty | Fired)) == (Live | Dirty | Fired))
            {
                Emit(slot);
            }
        }

        _dirty.Clear();
        while (_cleanupTimers.TryTakeDue(watermark, out var at, out var due))
        {
            foreach (var slot in due)
            {
                if ((_slotData[slot].Flags & Live) != 0 && _slotData[slot].End - 1 + _lateness == at)
                {
                    Free(slot);
                }
            }

            _cleanupTimers.Recycle(due);
        }

        var results = _fired.ToList();
        _fired.Clear();
        return results;
    }

    private bool AddTumbling(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        var start = _window.LastStart(t);
        var end = start + _window.Size;
        if (end - 1 + _lateness <= watermark)
        {
            return false;
        }

        Apply(SlotFor(key, start, end), numbers, items, i);
        return true;
    }

    private bool AddSliding(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        var any = false;
        for (var start = _window.LastStart(t); start > t - _window.Size; start -= _window.Slide)
        {
            var end = start + _window.Size;
            if (end - 1 + _lateness <= watermark)
            {
                continue;
            }

            Apply(SlotFor(key, start, end), numbers, items, i);
            any = true;
        }

        return any;
    }

    private bool AddSession(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        var window = new TimeWindow(t, t + _window.Gap);
        if (window.MaxTimestamp + _lateness <= watermark)
        {
            return false;
        }

        ref var sessions = ref CollectionsMarshal.GetValueRefOrAddDefault(_sessions, key, out _);
        sessions ??= [];
        var target = -1;
        for (var s = 0; s < sessions.Count; s++)
        {
            var slot = sessions[s];
            var existing = new TimeWindow(_slotData[slot].Start, _slotData[slot].End);
            if (!existing.Intersects(window))
            {
                continue;
            }

            window = window.Cover(existing);
            if (target < 0)
            {
                target = slot;
            }
            else
            {
                Merge(target, slot);
                sessions.RemoveAt(s--);
                Free(slot, unindex: false);
            }
        }

        if (target < 0)
        {
            target = NewSlot(Intern(key), window.Start, window.End);
            sessions.Add(target);
        }
        else if (_slotData[target].Start != window.Start || _slotData[target].End != window.End)
        {
            _slotData[target].Start = window.Start;
            _slotData[target].End = window.End;
            _fireTimers.Add(target, window.MaxTimestamp);
            if ((_slotData[target].Flags & Fired) != 0)
            {
                // A fired session that grew fires again (as an update, under its new window).
                _slotData[target].Flags &= unchecked((byte)~(Fired | Dirty));
            }
        }

        Apply(target, numbers, items, i);
        return true;
    }

    private bool AddCount(string key, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        ref var ordinal = ref CollectionsMarshal.GetValueRefOrAddDefault(_countWindows, key, out _);
        var slot = SlotFor(key, ordinal, ordinal + 1, timed: false);
        Apply(slot, numbers, items, i);
        if (_slotData[slot].Count >= _window.Count)
        {
            _index.Remove(new WindowKey(_slotData[slot].KeyId, ordinal));
            Emit(slot);
            Free(slot);
            ordinal++;
        }

        return true;
    }

    private int SlotFor(string key, long start, long end, bool timed = true)
    {
        var keyId = Intern(key);
        ref var recent = ref _recent[keyId];
        if (recent.Start == start && recent.Slot >= 0)
        {
            ref var data = ref _slotData[recent.Slot];
            if ((data.Flags & Live) != 0 && data.KeyId == keyId && data.Start == start)
            {
                return recent.Slot;
            }
        }

        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, new WindowKey(keyId, start), out var exists);
        if (!exists)
        {
            slot = NewSlot(keyId, start, end);
            if (timed)
            {
                _fireTimers.Add(slot, end - 1);
            }
        }

        recent = new Recent { Start = start, Slot = slot };
        return slot;
    }

    // The key's id; a new key gets one with no windows yet (NewSlot counts them).
    private int Intern(string key)
    {
        ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_keyIds, key, out var known);
        if (known)
        {
            return id;
        }

        if (!_freeKeys.TryPop(out var fresh))
        {
            if (_keyCount == _keyNames.Length)
            {
                Array.Resize(ref _keyNames, _keyCount * 2);
                Array.Resize(ref _keyWindows, _keyCount * 2);
                Array.Resize(ref _recent, _keyCount * 2);
            }

            fresh = _keyCount++;
        }

        _keyNames[fresh] = key;
        _keyWindows[fresh] = 0;
        _recent[fresh] = new Recent { Start = long.MinValue, Slot = -1 };
        id = fresh;
        return fresh;
    }

    private void Apply(int slot, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        ref var data = ref _slotData[slot];
        data.Count++;
        if ((data.Flags & (Fired | Dirty)) == Fired)
        {
            data.Flags |= Dirty;
            _dirty.Add(slot);
        }

        if (_numeric > 0)
        {
            var accumulators = _numbers.AsSpan(slot * _numeric, _numeric);
            var values = numbers.Slice(i * _numeric, _numeric);
            for (var c = 0; c < accumulators.Length; c++)
            {
                var v = values[c];
                if (!double.IsNaN(v))
                {
                    ref var n = ref accumulators[c];
                    n.Count++;
                    n.Sum += v;
                    n.Min = v < n.Min ? v : n.Min;
                    n.Max = v > n.Max ? v : n.Max;
                }
            }
        }

        if (_sketchSpecs.Length == 0)
        {
            return;
        }

        for (var s = 0; s < _sketchSpecs.Length; s++)
        {
            var spec = _sketchSpecs[s];
            ref var sketch = ref _sketches[(slot * _sketchSpecs.Length) + s];
            switch (spec.Function)
            {
                case AggregateFunction.DistinctCount when items[(i * _items) + spec.Column] is { } item:
                    ((HyperLogLog)(sketch ??= new HyperLogLog(spec.Precision))).Add(item);
                    break;
                case AggregateFunction.TopK when items[(i * _items) + spec.Column] is { } item:
                    ((TopK)(sketch ??= new TopK(spec.Capacity == 0 ? spec.K * 10 : spec.Capacity))).Add(item);
                    break;
                case AggregateFunction.Quantiles when !double.IsNaN(numbers[(i * _numeric) + spec.Column]):
                    ((DDSketch)(sketch ??= new DDSketch(spec.RelativeAccuracy))).Add(numbers[(i * _numeric) + spec.Column]);
                    break;
            }
        }
    }

    private void Merge(int target, int source)
    {
        _slotData[target].Count += _slotData[source].Count;
        for (var c = 0; c < _numeric; c++)
        {
            int t = (target * _numeric) + c, s = (source * _numeric) + c;
            _numbers[t].Count += _numbers[s].Count;
            _numbers[t].Sum += _numbers[s].Sum;
            _numbers[t].Min = Math.Min(_numbers[t].Min, _numbers[s].Min);
            _numbers[t].Max = Math.Max(_numbers[t].Max, _numbers[s].Max);
        }

        for (var k = 0; k < _sketchSpecs.Length; k++)
        {
            ref var into = ref _sketches[(target * _sketchSpecs.Length) + k];
            switch ((into, _sketches[(source * _sketchSpecs.Length) + k]))
            {
                case (_, null):
                    break;
                case (null, var from):
                    into = from;
                    break;
                case (HyperLogLog a, HyperLogLog b):
                    a.Merge(b);
                    break;
                case (DDSketch a, DDSketch b):
                    a.Merge(b);
                    break;
                case (TopK a, TopK b):
                    a.Merge(b);
                    break;
            }
        }

        if ((_slotData[source].Flags & Fired) != 0 && (_slotData[target].Flags & Dirty) == 0)
        {
            _slotData[target].Flags |= Dirty | Fired;
            _dirty.Add(target);
        }
    }

    private void Emit(int slot)
    {
        var update = (_slotData[slot].Flags & Dirty) != 0;
        var values = new AggregateValue[_valuesPerResult];
        var next = 0;
        var sketchIndex = 0;
        foreach (var a in _spec.Aggregates)
        {
            var at = (slot * _numeric) + a.Column;
            switch (a.Function)
            {
                case AggregateFunction.Count:
                    values[next++] = new AggregateValue(a.Name, _slotData[slot].Count);
                    break;
                case AggregateFunction.Sum:
                    values[next++] = new AggregateValue(a.Name, _numbers[at].Sum);
                    break;
                case AggregateFunction.Min:
                    values[next++] = new AggregateValue(a.Name, _numbers[at].Count == 0 ? null : _numbers[at].Min);
                    break;
                case AggregateFunction.Max:
                    values[next++] = new AggregateValue(a.Name, _numbers[at].Count == 0 ? null : _numbers[at].Max);
                    break;
                case AggregateFunction.Avg:
                    values[next++] = new AggregateValue(a.Name, _numbers[at].Count == 0 ? null : _numbers[at].Sum / _numbers[at].Count);
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

        var window = _window.Kind == WindowKind.Count ? new TimeWindow(_slotData[slot].Start, _slotData[slot].End, IsCount: true) : new TimeWindow(_slotData[slot].Start, _slotData[slot].End);
        _fired.Add(new WindowResult(_spec.Name, _keyNames[_slotData[slot].KeyId]!, window, _slotData[slot].Count, update, values));
        _slotData[slot].Flags = (byte)((_slotData[slot].Flags | Fired) & ~Dirty);
    }

    private int NewSlot(int keyId, long start, long end)
    {
        if (!_free.TryPop(out var slot))
        {
            if (_slots == _slotData.Length)
            {
                Grow(_slotData.Length * 2);
            }

            slot = _slots++;
        }

        _slotData[slot].KeyId = keyId;
        _keyWindows[keyId]++;
        _slotData[slot].Start = start;
        _slotData[slot].End = end;
        _slotData[slot].Flags = Live;
        _slotData[slot].Count = 0;
        for (var c = 0; c < _numeric; c++)
        {
            var at = (slot * _numeric) + c;
            _numbers[at].Count = 0;
            _numbers[at].Sum = 0;
            _numbers[at].Min = double.PositiveInfinity;
            _numbers[at].Max = double.NegativeInfinity;
        }

        _sketches.AsSpan(slot * _sketchSpecs.Length, _sketchSpecs.Length).Clear();
        return slot;
    }

    private void Free(int slot, bool unindex = true)
    {
        if (unindex && _window.Kind == WindowKind.Session)
        {
            if (_sessions.TryGetValue(_keyNames[_slotData[slot].KeyId]!, out var sessions))
            {
                sessions.Remove(slot);
                if (sessions.Count == 0)
                {
                    _sessions.Remove(_keyNames[_slotData[slot].KeyId]!);
                }
            }
        }
        else if (unindex && _window.Kind != WindowKind.Count)
        {
            _index.Remove(new WindowKey(_slotData[slot].KeyId, _slotData[slot].Start));
        }

        var keyId = _slotData[slot].KeyId;
        if (--_keyWindows[keyId] == 0)
        {
            _keyIds.Remove(_keyNames[keyId]!);
            _keyNames[keyId] = null;
            _freeKeys.Push(keyId);
        }

        _slotData[slot].Flags = 0;
        _sketches.AsSpan(slot * _sketchSpecs.Length, _sketchSpecs.Length).Clear();
        _free.Push(slot);
    }

    private void Grow(int capacity)
    {
        Array.Resize(ref _slotData, capacity);
        Array.Resize(ref _numbers, capacity * _numeric);
        Array.Resize(ref _sketches, capacity * _sketchSpecs.Length);
    }

    // Timers by time: windows of the same end (every key's tumbling window) share one entry.
    private sealed class TimerQueue
    {
        private readonly PriorityQueue<long, long> _times = new();
        private readonly Dictionary<long, List<int>> _slots = [];
        private readonly Stack<List<int>> _spare = new();

        public void Add(int slot, long at)
        {
            ref var slots = ref CollectionsMarshal.GetValueRefOrAddDefault(_slots, at, out var exists);
            if (!exists)
            {
                slots = _spare.TryPop(out var spare) ? spare : [];
                _times.Enqueue(at, at);
            }

            slots!.Add(slot);
        }

        public bool TryTakeDue(long watermark, out long at, [NotNullWhen(true)] out List<int>? slots)
        {
            slots = null;
            if (!_times.TryPeek(out at, out _) || at > watermark)
            {
                return false;
            }

            _times.Dequeue();
            return _slots.Remove(at, out slots);
        }

        public void Recycle(List<int> slots)
        {
            slots.Clear();
            _spare.Push(slots);
        }
    }

    private struct Slot
    {
        public int KeyId;
        public long Start;
        public long End;
        public long Count;
        public byte Flags;
    }

    private struct Numeric
    {
        public long Count;
        public double Sum;
        public double Min;
        public double Max;
    }

    private struct Recent
    {
        public long Start;
        public int Slot;
    }

    private readonly struct WindowKey(int keyId, long start) : IEquatable<WindowKey>
    {
        public int KeyId { get; } = keyId;

        public long Start { get; } = start;

        public bool Equals(WindowKey other) => KeyId == other.KeyId && Start == other.Start;

        public override bool Equals(object? obj) => obj is WindowKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(KeyId, Start);
    }

    private struct ShardClock
    {
        public long MaxTimestamp;
        public long LastActive;
    }
}
