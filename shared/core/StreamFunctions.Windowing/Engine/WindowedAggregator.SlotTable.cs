using System.Runtime.CompilerServices;
using StreamFunctions.Windowing.Sketches;

namespace StreamFunctions.Windowing.Engine;

// The slot table: one slot per live (key, window), as columns, and the keys' chains of slots.
public sealed partial class WindowedAggregator
{
    private const byte Live = 1, Fired = 2, Dirty = 4;

    // Keys are interned as dense ids while they have live windows (KeyTable), and each key remembers the window
    // it touched last, so most events of a tumbling window need neither the window index nor a division. A key's
    // few tumbling or count windows are found on its chain of live slots (KeyState.Head, then SlotInfo.Next),
    // which keeps an index out of the cache (sliding windows keep one of their own, see SlidingAssigner).
    private readonly KeyTable<KeyState> _keys = new();
    private readonly Stack<int> _free = new();

    // Slots: one per live (key, window), as columns. An event reads its slot's flags and updates its row of
    // accumulators: the event count, then per numeric column only the fields its aggregates read (RowLayout), so
    // count + sum is a 16-byte row and the rows of every live window stay in the core's cache.
    private readonly RowLayout[] _layout;
    private readonly int _stride;
    private byte[] _flags = [];
    private SlotInfo[] _info = [];
    private double[] _rows = [];
    private object?[] _sketches = [];
    private int _slots;

    // The key's window that starts at start, found on its chain of slots (or a new slot, with its fire timer
    // unless count windows, which fire when full).
    private int SlotFor(int keyId, long start, long end, bool timed = true)
    {
        ref var state = ref _keys.State(keyId);
        if (state.RecentSlot >= 0 && state.RecentStart == start)
        {
            return state.RecentSlot;
        }

        var slot = state.Head;
        while (slot >= 0 && _info[slot].Start != start)
        {
            slot = _info[slot].Next;
        }

        if (slot < 0)
        {
            slot = NewSlot(keyId, start, end);
            if (timed)
            {
                _fireTimers.Add(slot, end - 1);
            }
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
        if (unindex)
        {
            _assigner.Unindex(slot);
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
}
