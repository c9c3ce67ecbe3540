using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Exceptions;
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
    private readonly AggregateSpec[] _aggregates;
    private readonly AggregateSpec[] _sketchSpecs;
    private readonly int _valuesPerResult;
    // Sliding windows are found by (key, start) in an index; a key's few tumbling or count windows on its chain
    // of live slots (KeyState.Head, then SlotInfo.Next), which keeps the index out of the cache.
    private readonly Dictionary<WindowKey, int> _index = [];
    private readonly bool _indexed;

    // Keys are interned as dense ids while they have live windows (KeyTable), and each key remembers the window
    // it touched last, so most events of a tumbling window need neither the window index nor a division.
    private readonly KeyTable<KeyState> _keys = new();
    private readonly Dictionary<string, List<int>> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _countWindows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ShardClock> _shards = new(StringComparer.Ordinal);
    private readonly TimerQueue _fireTimers = new();
    private readonly TimerQueue _cleanupTimers = new();
    private readonly List<int> _dirty = [];
    private readonly List<WindowResult> _fired = [];
    private readonly Stack<int> _free = new();

    // Slots: one per live (key, window), as columns. An event reads its slot's flags and updates its row of
    // accumulators: the event count, then per numeric column only the fields its aggregates read (Layout), so
    // count + sum is a 16-byte row and the rows of every live window stay in the core's cache.
    private readonly Layout[] _layout;
    private readonly int _stride;
    private byte[] _flags = [];
    private SlotInfo[] _info = [];
    private double[] _rows = [];
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
        _aggregates = [.. spec.Aggregates];
        _sketchSpecs = [.. spec.Aggregates.Where(a => a.IsSketch)];
        _valuesPerResult = spec.Aggregates.Sum(a => a.Function == AggregateFunction.Quantiles ? a.Quantiles.Count : 1);
        (_layout, _stride) = Layout.Of(spec);
        _indexed = _window.Kind == WindowKind.Sliding;
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

        ref var clock = ref Activate(shard);
        var watermark = Watermark;
        List<int>? late = null;
        var applied = 0;
        if (_window.Kind == WindowKind.Tumbling)
        {
            applied = AddTumbling(keys, timestamps, watermark, numbers, items, ref late);
        }
        else
        {
            for (var i = 0; i < keys.Length; i++)
            {
                PrefetchKey(keys, i);
                var ok = _window.Kind switch
                {
                    WindowKind.Sliding => AddSliding(keys[i], timestamps[i], watermark, numbers, items, i),
                    WindowKind.Session => AddSession(keys[i], timestamps[i], watermark, numbers, items, i),
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
        }

        foreach (var t in timestamps)
        {
            clock.MaxTimestamp = Math.Max(clock.MaxTimestamp, t);
        }

        return new AddResult(applied, late ?? (IReadOnlyList<int>)[]);
    }

    /// <summary>Marks a shard active without events (so it does not turn idle), e.g. on an empty poll.</summary>
    /// <param name="shard">The shard.</param>
    public void Touch(string shard) => Activate(shard);

    // The shard's clock (a new shard has seen no event), marked active now.
    private ref ShardClock Activate(string shard)
    {
        ref var clock = ref CollectionsMarshal.GetValueRefOrAddDefault(_shards, shard, out var existed);
        if (!existed)
        {
            clock = new ShardClock { MaxTimestamp = long.MinValue };
        }

        clock.LastActive = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return ref clock;
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
        foreach (var slot in Enumerable.Range(0, _slots).Where(s => (_flags[s] & (Live | Fired)) == Live).ToList())
        {
            // Count windows that never filled.
            Emit(slot);
        }

        return [.. results, .. TakeFired()];
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
                if ((_flags[slot] & Live) == 0)
                {
                    continue;
                }

                var row = Row(slot);
                writer.Write(_keys.Name(_info[slot].Key));
                writer.Write(_info[slot].Start);
                writer.Write(_info[slot].End);
                writer.Write((long)row[0]);
                writer.Write(_flags[slot]);
                foreach (var column in _layout)
                {
                    writer.Write(column.Count < 0 ? 0L : (long)row[column.Count]);
                    writer.Write(column.Sum < 0 ? 0.0 : row[column.Sum]);
                    writer.Write(column.Min < 0 ? double.PositiveInfinity : row[column.Min]);
                    writer.Write(column.Max < 0 ? double.NegativeInfinity : row[column.Max]);
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
                var row = engine.Row(slot);
                row[0] = reader.ReadInt64();
                engine._flags[slot] = reader.ReadByte();
                foreach (var column in engine._layout)
                {
                    column.Restore(row, reader.ReadInt64(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
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
        switch (_window.Kind)
        {
            case WindowKind.Session:
                ref var sessions = ref CollectionsMarshal.GetValueRefOrAddDefault(_sessions, _keys.Name(_info[slot].Key), out _);
                (sessions ??= []).Add(slot);
                break;
            case WindowKind.Count:
                return;
            case WindowKind.Sliding:
                _index[new WindowKey(_info[slot].Key, _info[slot].Start)] = slot;
                break;
        }

        if ((_flags[slot] & Fired) == 0)
        {
            _fireTimers.Add(slot, _info[slot].End - 1);
        }
        else
        {
            _cleanupTimers.Add(slot, _info[slot].End - 1 + _lateness);
            if ((_flags[slot] & Dirty) != 0)
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

    // The tumbling loop, the common case: an event of the window its key touched last needs neither a division
    // nor a walk of the key's chain. With many keys, an event's time is mostly waits on memory: the key's
    // characters (to hash it), the table's line, the key's entry, the window's row. So the loop looks ahead: it
    // asks for the characters of the key 8 events on, hashes the key 4 events on and asks for its table line, and
    // keeps that hash for when the event's turn comes (8 and 4 measured best; asking for the key's entry too, 2
    // events on, measured no faster).
    private int AddTumbling(ReadOnlySpan<string> keys, ReadOnlySpan<long> timestamps, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, ref List<int>? late)
    {
        const int HashAhead = 4;
        var size = _window.Size;
        var lateness = _lateness;
        var applied = 0;
        Span<KeyHash> hashes = stackalloc KeyHash[2 * HashAhead];
        for (var i = 0; i < HashAhead && i < keys.Length; i++)
        {
            hashes[i] = _keys.HashOf(keys[i]);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            var t = timestamps[i];
            PrefetchKey(keys, i);
            if (i + HashAhead < keys.Length)
            {
                var ahead = _keys.HashOf(keys[i + HashAhead]);
                _keys.Prefetch(ahead);
                hashes[(i + HashAhead) % hashes.Length] = ahead;
            }

            var keyId = Intern(keys[i], hashes[i % hashes.Length]);
            ref var state = ref _keys.State(keyId);
            var slot = state.RecentSlot;
            var start = state.RecentStart;
            if (slot < 0 || (ulong)(t - start) >= (ulong)size)
            {
                slot = -1;
                start = _window.LastStart(t);
            }

            if (start + size - 1 + lateness <= watermark)
            {
                ForgetIfUnused(keyId);
                (late ??= []).Add(i);
                continue;
            }

            if (slot < 0)
            {
                slot = SlotFor(keyId, start, start + size);
            }

            Apply(slot, numbers, items, i);
            applied++;
        }

        return applied;
    }

    // A key's characters are asked for a few events before it is hashed (see AddTumbling).
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

    private bool AddSliding(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        // The key is interned once, for the first window the event is not too late for (none: nothing interned).
        var keyId = -1;
        for (var start = _window.LastStart(t); start > t - _window.Size; start -= _window.Slide)
        {
            var end = start + _window.Size;
            if (end - 1 + _lateness <= watermark)
            {
                continue;
            }

            keyId = keyId < 0 ? Intern(key) : keyId;
            Apply(SlotFor(keyId, start, end), numbers, items, i);
        }

        return keyId >= 0;
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
            var existing = new TimeWindow(_info[slot].Start, _info[slot].End);
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
        else if (_info[target].Start != window.Start || _info[target].End != window.End)
        {
            _info[target].Start = window.Start;
            _info[target].End = window.End;
            _fireTimers.Add(target, window.MaxTimestamp);
            if ((_flags[target] & Fired) != 0)
            {
                // A fired session that grew fires again (as an update, under its new window).
                _flags[target] &= unchecked((byte)~(Fired | Dirty));
            }
        }

        Apply(target, numbers, items, i);
        return true;
    }

    private bool AddCount(string key, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        ref var ordinal = ref CollectionsMarshal.GetValueRefOrAddDefault(_countWindows, key, out _);
        var slot = SlotFor(Intern(key), ordinal, ordinal + 1, timed: false);
        Apply(slot, numbers, items, i);
        if (Row(slot)[0] >= _window.Count)
        {
            Emit(slot);
            Free(slot);
            ordinal++;
        }

        return true;
    }

    private int SlotFor(int keyId, long start, long end, bool timed = true)
    {
        ref var state = ref _keys.State(keyId);
        if (state.RecentSlot >= 0 && state.RecentStart == start)
        {
            return state.RecentSlot;
        }

        int slot;
        var created = false;
        if (_indexed)
        {
            ref var indexed = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, new WindowKey(keyId, start), out var exists);
            if (!exists)
            {
                indexed = NewSlot(keyId, start, end);
                created = true;
            }

            slot = indexed;
        }
        else
        {
            slot = state.Head;
            while (slot >= 0 && _info[slot].Start != start)
            {
                slot = _info[slot].Next;
            }

            if (slot < 0)
            {
                slot = NewSlot(keyId, start, end);
                created = true;
            }
        }

        if (created && timed)
        {
            _fireTimers.Add(slot, end - 1);
        }

        state.RecentStart = start;
        state.RecentSlot = slot;
        return slot;
    }

    // The key's id; a new key starts with no windows (NewSlot links them on its chain, Free forgets the key when
    // its last one goes).
    private int Intern(string key) => Intern(key, _keys.HashOf(key));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Intern(string key, KeyHash hash)
    {
        var id = _keys.Intern(key, hash, out var added);
        if (added)
        {
            _keys.State(id) = new KeyState { RecentStart = long.MinValue, RecentSlot = -1, Head = -1 };
        }

        return id;
    }

    // A key interned for an event that turned out too late.
    private void ForgetIfUnused(int keyId)
    {
        if (_keys.State(keyId).Head < 0)
        {
            _keys.Remove(keyId);
        }
    }

    private Span<double> Row(int slot) => _rows.AsSpan(slot * _stride, _stride);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Apply(int slot, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
        ref var flags = ref _flags[slot];
        if ((flags & (Fired | Dirty)) == Fired)
        {
            flags |= Dirty;
            _dirty.Add(slot);
        }

        var row = Row(slot);
        row[0]++;
        if (_layout.Length > 0)
        {
            var values = numbers.Slice(i * _layout.Length, _layout.Length);
            for (var c = 0; c < _layout.Length; c++)
            {
                var v = values[c];
                if (!double.IsNaN(v))
                {
                    _layout[c].Add(row, v);
                }
            }
        }

        if (_sketchSpecs.Length > 0)
        {
            ApplySketches(slot, numbers, items, i);
        }
    }

    private void ApplySketches(int slot, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
    {
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
        Span<double> into = Row(target), from = Row(source);
        into[0] += from[0];
        foreach (var column in _layout)
        {
            column.Merge(into, from);
        }

        for (var k = 0; k < _sketchSpecs.Length; k++)
        {
            ref var sketch = ref _sketches[(target * _sketchSpecs.Length) + k];
            switch ((sketch, _sketches[(source * _sketchSpecs.Length) + k]))
            {
                case (_, null):
                    break;
                case (null, var other):
                    sketch = other;
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

        if ((_flags[source] & Fired) != 0 && (_flags[target] & Dirty) == 0)
        {
            _flags[target] |= Dirty | Fired;
            _dirty.Add(target);
        }
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

        var window = new TimeWindow(_info[slot].Start, _info[slot].End, IsCount: _window.Kind == WindowKind.Count);
        _fired.Add(new WindowResult(_spec.Name, _keys.Name(_info[slot].Key), window, count, update, values));
        _flags[slot] = (byte)((_flags[slot] | Fired) & ~Dirty);
    }

    private int NewSlot(int keyId, long start, long end)
    {
        if (!_free.TryPop(out var slot))
        {
            if (_slots == _flags.Length)
            {
                Grow(_flags.Length * 2);
            }

            slot = _slots++;
        }

        _info[slot].Key = keyId;
        ref var state = ref _keys.State(keyId);
        _info[slot].Previous = -1;
        _info[slot].Next = state.Head;
        if (state.Head >= 0)
        {
            _info[state.Head].Previous = slot;
        }

        state.Head = slot;
        _info[slot].Start = start;
        _info[slot].End = end;
        _flags[slot] = Live;
        var row = Row(slot);
        row[0] = 0;
        foreach (var column in _layout)
        {
            column.Reset(row);
        }

        _sketches.AsSpan(slot * _sketchSpecs.Length, _sketchSpecs.Length).Clear();
        return slot;
    }

    private void Free(int slot, bool unindex = true)
    {
        var keyId = _info[slot].Key;
        if (unindex && _window.Kind == WindowKind.Session)
        {
            if (_sessions.TryGetValue(_keys.Name(keyId), out var sessions))
            {
                sessions.Remove(slot);
                if (sessions.Count == 0)
                {
                    _sessions.Remove(_keys.Name(keyId));
                }
            }
        }
        else if (unindex && _indexed)
        {
            _index.Remove(new WindowKey(keyId, _info[slot].Start));
        }

        ref var state = ref _keys.State(keyId);
        if (state.RecentSlot == slot)
        {
            state.RecentSlot = -1;
        }

        int previous = _info[slot].Previous, next = _info[slot].Next;
        if (next >= 0)
        {
            _info[next].Previous = previous;
        }

        if (previous >= 0)
        {
            _info[previous].Next = next;
        }
        else
        {
            state.Head = next;
        }

        if (state.Head < 0)
        {
            _keys.Remove(keyId);
        }

        _flags[slot] = 0;
        _sketches.AsSpan(slot * _sketchSpecs.Length, _sketchSpecs.Length).Clear();
        _free.Push(slot);
    }

    private void Grow(int capacity)
    {
        Array.Resize(ref _flags, capacity);
        Array.Resize(ref _info, capacity);
        Array.Resize(ref _rows, capacity * _stride);
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

    // What a slot's life needs besides its flags and row: its window, its key and its neighbours on the key's
    // chain, in one 32-byte entry.
    private struct SlotInfo
    {
        public long Start;
        public long End;
        public int Key;
        public int Next;
        public int Previous;
    }

    private struct KeyState
    {
        public long RecentStart;
        public int RecentSlot;
        public int Head;
    }

    // Where a numeric column's fields sit in a slot's row (-1: no aggregate reads it).
    private readonly record struct Layout(int Count, int Sum, int Min, int Max)
    {
        public static (Layout[] Columns, int Stride) Of(AggregationSpec spec)
        {
            var columns = new Layout[spec.NumericColumns];
            var stride = 1;
            for (var c = 0; c < columns.Length; c++)
            {
                var reads = spec.Aggregates.Where(a => a.IsNumeric && a.Column == c).Select(a => a.Function).ToHashSet();
                int count = -1, sum = -1, min = -1, max = -1;
                if (reads.Contains(AggregateFunction.Avg) || reads.Contains(AggregateFunction.Min) || reads.Contains(AggregateFunction.Max))
                {
                    count = stride++;
                }

                if (reads.Contains(AggregateFunction.Sum) || reads.Contains(AggregateFunction.Avg))
                {
                    sum = stride++;
                }

                if (reads.Contains(AggregateFunction.Min))
                {
                    min = stride++;
                }

                if (reads.Contains(AggregateFunction.Max))
                {
                    max = stride++;
                }

                columns[c] = new Layout(count, sum, min, max);
            }

            return (columns, stride);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Span<double> row, double v)
        {
            if (Count >= 0)
            {
                row[Count]++;
            }

            if (Sum >= 0)
            {
                row[Sum] += v;
            }

            if (Min >= 0)
            {
                row[Min] = v < row[Min] ? v : row[Min];
            }

            if (Max >= 0)
            {
                row[Max] = v > row[Max] ? v : row[Max];
            }
        }

        public void Merge(Span<double> into, Span<double> from)
        {
            if (Count >= 0)
            {
                into[Count] += from[Count];
            }

            if (Sum >= 0)
            {
                into[Sum] += from[Sum];
            }

            if (Min >= 0)
            {
                into[Min] = Math.Min(into[Min], from[Min]);
            }

            if (Max >= 0)
            {
                into[Max] = Math.Max(into[Max], from[Max]);
            }
        }

        public void Reset(Span<double> row) => Restore(row, 0, 0, double.PositiveInfinity, double.NegativeInfinity);

        public void Restore(Span<double> row, long count, double sum, double min, double max)
        {
            if (Count >= 0)
            {
                row[Count] = count;
            }

            if (Sum >= 0)
            {
                row[Sum] = sum;
            }

            if (Min >= 0)
            {
                row[Min] = min;
            }

            if (Max >= 0)
            {
                row[Max] = max;
            }
        }
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
