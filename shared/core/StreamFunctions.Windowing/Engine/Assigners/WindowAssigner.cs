namespace StreamFunctions.Windowing.Engine;

public sealed partial class WindowedAggregator
{
    /// <summary>
    /// How one kind of window takes a batch's events into the operator's slots: which windows an event belongs
    /// to, how they are found, and what the kind keeps besides its slots. <see cref="Windows.WindowSpec"/>'s factory for the
    /// kind names its assigner, so a new kind is one assigner file plus its factory (and its configuration entry).
    /// </summary>
    /// <remarks>
    /// The operator calls <see cref="Add"/> once per batch, so a kind may run a loop of its own (the tumbling one
    /// does) or take events one at a time (<see cref="EventAssigner"/>). Assigners are nested in the operator to
    /// reach its slot table without widening it.
    /// </remarks>
    /// <param name="engine">The operator whose slots it fills.</param>
    internal abstract class WindowAssigner(WindowedAggregator engine)
    {
        /// <summary>The operator.</summary>
        protected WindowedAggregator Engine { get; } = engine;

        /// <summary>Whether windows fire when the watermark reaches their end (count windows fire when full).</summary>
        public virtual bool Timed => true;

        /// <summary>Whether windows are numbered per key rather than spans of time (<see cref="Windows.TimeWindow.IsCount"/>).</summary>
        public virtual bool Numbered => false;

        /// <summary>Applies a batch's events to their windows.</summary>
        /// <param name="keys">Each event's group key (none null).</param>
        /// <param name="timestamps">Each event's time, Unix ms.</param>
        /// <param name="watermark">The watermark as of the batch's start: lateness is judged against it.</param>
        /// <param name="numbers">Numeric columns, event-major.</param>
        /// <param name="items">Item columns, event-major.</param>
        /// <param name="late">The indexes of events too late for every window they belong to (created on the first).</param>
        /// <returns>How many events were applied.</returns>
        public abstract int Add(ReadOnlySpan<string> keys, ReadOnlySpan<long> timestamps, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, ref List<int>? late);

        /// <summary>Registers a slot restored from a snapshot in the kind's own index, if it keeps one.</summary>
        /// <param name="slot">The slot.</param>
        public virtual void Index(int slot)
        {
        }

        /// <summary>Removes a slot that is being freed from the kind's own index, if it keeps one.</summary>
        /// <param name="slot">The slot (still live, its key still interned).</param>
        public virtual void Unindex(int slot)
        {
        }

        /// <summary>Writes the kind's state besides its slots: a count of per-key entries, none by default.</summary>
        /// <param name="writer">The snapshot.</param>
        public virtual void WriteState(BinaryWriter writer) => writer.Write(0);

        /// <summary>Reads what <see cref="WriteState"/> wrote (entries of another kind's state are skipped).</summary>
        /// <param name="reader">The snapshot.</param>
        public virtual void ReadState(BinaryReader reader)
        {
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                _ = reader.ReadString();
                _ = reader.ReadInt64();
            }
        }
    }
}
