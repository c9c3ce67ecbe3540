namespace StreamFunctions.Windowing.Engine;

public sealed partial class WindowedAggregator
{
    /// <summary>
    /// Tumbling windows: fixed-size, non-overlapping, one per event. The common case, so it runs its own loop:
    /// an event of the window its key touched last needs neither a division nor a walk of the key's chain.
    /// </summary>
    /// <param name="engine">The operator whose slots it fills.</param>
    internal sealed class TumblingAssigner(WindowedAggregator engine) : WindowAssigner(engine)
    {
        // With many keys, an event's time is mostly waits on memory: the key's characters (to hash it), the
        // table's line, the key's entry, the window's row. So the loop looks ahead: it asks for the characters of
        // the key 8 events on, hashes the key 4 events on and asks for its table line, and keeps that hash for
        // when the event's turn comes (8 and 4 measured best; asking for the key's entry too, 2 events on,
        // measured no faster).
        /// <inheritdoc/>
        public override int Add(ReadOnlySpan<string> keys, ReadOnlySpan<long> timestamps, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, ref List<int>? late)
        {
            const int HashAhead = 4;
            var engine = Engine;
            var table = engine._keys;
            var window = engine._window;
            var size = window.Size;
            var lateness = engine._lateness;
            var applied = 0;
            Span<KeyHash> hashes = stackalloc KeyHash[2 * HashAhead];
            for (var i = 0; i < HashAhead && i < keys.Length; i++)
            {
                hashes[i] = table.HashOf(keys[i]);
            }

            for (var i = 0; i < keys.Length; i++)
            {
                var t = timestamps[i];
                PrefetchKey(keys, i);
                if (i + HashAhead < keys.Length)
                {
                    var ahead = table.HashOf(keys[i + HashAhead]);
                    table.Prefetch(ahead);
                    hashes[(i + HashAhead) % hashes.Length] = ahead;
                }

                var keyId = engine.Intern(keys[i], hashes[i % hashes.Length]);
                ref var state = ref table.State(keyId);
                var slot = state.RecentSlot;
                var start = state.RecentStart;
                if (slot < 0 || (ulong)(t - start) >= (ulong)size)
                {
                    slot = -1;
                    start = window.LastStart(t);
                }

                if (start + size - 1 + lateness <= watermark)
                {
                    engine.ForgetIfUnused(keyId);
                    (late ??= []).Add(i);
                    continue;
                }

                if (slot < 0)
                {
                    slot = engine.SlotFor(keyId, start, start + size);
                }

                engine.Apply(slot, numbers, items, i);
                applied++;
            }

            return applied;
        }
    }
}
