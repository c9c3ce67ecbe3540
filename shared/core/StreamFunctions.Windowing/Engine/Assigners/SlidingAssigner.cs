using System.Runtime.InteropServices;

namespace StreamFunctions.Windowing.Engine;

public sealed partial class WindowedAggregator
{
    /// <summary>
    /// Sliding (hopping) windows: fixed-size windows that start every slide, so an event belongs to size / slide
    /// of them. A key has that many live windows at once, so they are found by (key, start) in an index rather
    /// than on the key's chain.
    /// </summary>
    /// <param name="engine">The operator whose slots it fills.</param>
    internal sealed class SlidingAssigner(WindowedAggregator engine) : EventAssigner(engine)
    {
        private readonly Dictionary<WindowKey, int> _index = [];

        /// <inheritdoc/>
        public override void Index(int slot) => _index[new WindowKey(Engine._info[slot].Key, Engine._info[slot].Start)] = slot;

        /// <inheritdoc/>
        public override void Unindex(int slot) => _index.Remove(new WindowKey(Engine._info[slot].Key, Engine._info[slot].Start));

        /// <inheritdoc/>
        protected override bool Add(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
        {
            var engine = Engine;
            var window = engine._window;

            // The key is interned once, for the first window the event is not too late for (none: nothing interned).
            var keyId = -1;
            for (var start = window.LastStart(t); start > t - window.Size; start -= window.Slide)
            {
                var end = start + window.Size;
                if (end - 1 + engine._lateness <= watermark)
                {
                    continue;
                }

                keyId = keyId < 0 ? engine.Intern(key) : keyId;
                engine.Apply(SlotFor(keyId, start, end), numbers, items, i);
            }

            return keyId >= 0;
        }

        private int SlotFor(int keyId, long start, long end)
        {
            var engine = Engine;
            ref var state = ref engine._keys.State(keyId);
            if (state.RecentSlot >= 0 && state.RecentStart == start)
            {
                return state.RecentSlot;
            }

            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, new WindowKey(keyId, start), out var exists);
            if (!exists)
            {
                slot = engine.NewSlot(keyId, start, end);
                engine._fireTimers.Add(slot, end - 1);
            }

            state.RecentStart = start;
            state.RecentSlot = slot;
            return slot;
        }

        private readonly struct WindowKey(int keyId, long start) : IEquatable<WindowKey>
        {
            public int KeyId { get; } = keyId;

            public long Start { get; } = start;

            public bool Equals(WindowKey other) => KeyId == other.KeyId && Start == other.Start;

            public override bool Equals(object? obj) => obj is WindowKey other && Equals(other);

            public override int GetHashCode() => HashCode.Combine(KeyId, Start);
        }
    }
}
