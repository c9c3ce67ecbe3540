using System.Runtime.InteropServices;

namespace StreamFunctions.Windowing.Engine;

public sealed partial class WindowedAggregator
{
    /// <summary>
    /// Count windows (Flink's countWindow): every <see cref="Windows.WindowSpec.Count"/> events of a key form a
    /// window, numbered per key, that fires when full; no timers. The key's next window number is kept by key
    /// and saved with the snapshot.
    /// </summary>
    /// <param name="engine">The operator whose slots it fills.</param>
    internal sealed class CountAssigner(WindowedAggregator engine) : EventAssigner(engine)
    {
        private readonly Dictionary<string, long> _countWindows = new(StringComparer.Ordinal);

        /// <inheritdoc/>
        public override bool Timed => false;

        /// <inheritdoc/>
        public override bool Numbered => true;

        /// <inheritdoc/>
        public override void WriteState(BinaryWriter writer)
        {
            writer.Write(_countWindows.Count);
            foreach (var (key, ordinal) in _countWindows)
            {
                writer.Write(key);
                writer.Write(ordinal);
            }
        }

        /// <inheritdoc/>
        public override void ReadState(BinaryReader reader)
        {
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                _countWindows[reader.ReadString()] = reader.ReadInt64();
            }
        }

        /// <inheritdoc/>
        protected override bool Add(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i)
        {
            var engine = Engine;
            ref var ordinal = ref CollectionsMarshal.GetValueRefOrAddDefault(_countWindows, key, out _);
            var slot = engine.SlotFor(engine.Intern(key), ordinal, ordinal + 1, timed: false);
            engine.Apply(slot, numbers, items, i);
            if (engine.Row(slot)[0] >= engine._window.Count)
            {
                engine.Emit(slot);
                engine.Free(slot);
                ordinal++;
            }

            return true;
        }
    }
}
