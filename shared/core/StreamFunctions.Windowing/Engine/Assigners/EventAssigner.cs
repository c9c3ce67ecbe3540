namespace StreamFunctions.Windowing.Engine;

public sealed partial class WindowedAggregator
{
    /// <summary>An assigner that takes a batch's events one at a time (sliding, session, count windows).</summary>
    /// <param name="engine">The operator whose slots it fills.</param>
    internal abstract class EventAssigner(WindowedAggregator engine) : WindowAssigner(engine)
    {
        /// <inheritdoc/>
        public sealed override int Add(ReadOnlySpan<string> keys, ReadOnlySpan<long> timestamps, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, ref List<int>? late)
        {
            var applied = 0;
            for (var i = 0; i < keys.Length; i++)
            {
                PrefetchKey(keys, i);
                if (Add(keys[i], timestamps[i], watermark, numbers, items, i))
                {
                    applied++;
                }
                else
                {
                    (late ??= []).Add(i);
                }
            }

            return applied;
        }

        /// <summary>Applies one event to its windows.</summary>
        /// <param name="key">The event's key.</param>
        /// <param name="t">The event's time, Unix ms.</param>
        /// <param name="watermark">The watermark as of the batch's start.</param>
        /// <param name="numbers">The batch's numeric columns.</param>
        /// <param name="items">The batch's item columns.</param>
        /// <param name="i">The event's index in the batch.</param>
        /// <returns>Whether it was applied (false: too late for every window it belongs to).</returns>
        protected abstract bool Add(string key, long t, long watermark, ReadOnlySpan<double> numbers, ReadOnlySpan<string?> items, int i);
    }
}
