using System.Runtime.InteropServices;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Windowing.Engine;

public sealed partial class WindowedAggregator
{
    /// <summary>
    /// Session windows: per key, a window closes after a gap without events; an event opens
    /// <c>[t, t + gap)</c>, and every session of the key it touches merges into one (Flink's merging windows).
    /// A key's sessions are kept in a list by key.
    /// </summary>
    /// <param name="engine">The operator whose slots it fills.</param>
    internal sealed class SessionAssigner(WindowedAggregator engine) : EventAssigner(engine)
    {
        private readonly Dictionary<string, List<int>> _sessions = new(StringComparer.Ordinal);

        /// <inheritdoc/>
        public override void Index(int slot)
        {
            ref var sessions = ref CollectionsMarshal.GetValueRefOrAddDefault(_sessions, Engine._keys.Name(Engine._info[slot].Key), out _);
            (sessions ??= []).Add(slot);
        }

        /// <inheritdoc/>
        public override void Unindex(int slot)
        {
            var key = Engine._keys.Name(Engine._info[slot].Key);
            if (_sessions.TryGetValue(key, out var sessions))
            {
                sessions.Remove(slot);
                if (sessions.Count == 0)
                {
                    _sessions.Remove(key);
                }
            }
        }

        /// <inheritdoc/>
        protected override bool Add(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
        {
            var engine = Engine;
            var window = new TimeWindow(t, t + engine._window.Gap);
            if (window.MaxTimestamp + engine._lateness <= watermark)
            {
                return false;
            }

            ref var sessions = ref CollectionsMarshal.GetValueRefOrAddDefault(_sessions, key, out _);
            sessions ??= [];
            var target = -1;
            for (var s = 0; s < sessions.Count; s++)
            {
                var slot = sessions[s];
                var existing = new TimeWindow(engine._info[slot].Start, engine._info[slot].End);
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
                    engine.Merge(target, slot);
                    sessions.RemoveAt(s--);
                    engine.Free(slot, unindex: false);
                }
            }

            if (target < 0)
            {
                // A new session fires when the watermark passes its end, even if no later event ever grows it.
                target = engine.NewSlot(engine.Intern(key), window.Start, window.End);
                sessions.Add(target);
                engine._fireTimers.Add(target, window.MaxTimestamp);
            }
            else if (engine._info[target].Start != window.Start || engine._info[target].End != window.End)
            {
                engine._info[target].Start = window.Start;
                engine._info[target].End = window.End;
                engine._fireTimers.Add(target, window.MaxTimestamp);
                if ((engine._flags[target] & Fired) != 0)
                {
                    // A fired session that grew fires again (as an update, under its new window).
                    engine._flags[target] &= unchecked((byte)~(Fired | Dirty));
                }
            }

            engine.Apply(target, numbers, items, i);
            return true;
        }
    }
}
