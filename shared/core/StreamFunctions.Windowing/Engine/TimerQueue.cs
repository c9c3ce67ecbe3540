using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace StreamFunctions.Windowing.Engine;

/// <summary>
/// Timers by time: windows of the same end (every key's tumbling window) share one entry, so firing a window
/// end of 10,000 keys is one dequeue. Lists of slots are recycled.
/// </summary>
internal sealed class TimerQueue
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

