using System.Globalization;

namespace StreamFunctions.Windowing.Windows;

/// <summary>
/// A window of event time, <c>[Start, End)</c> in Unix milliseconds, as Flink's <c>TimeWindow</c>: it fires when
/// the watermark reaches <see cref="MaxTimestamp"/>. A count window (global windows with a count trigger) is
/// numbered instead: <c>[n, n + 1)</c> for the key's n-th window, with <see cref="IsCount"/> set.
/// </summary>
/// <param name="Start">The first millisecond (or the count window's number).</param>
/// <param name="End">One past the last millisecond.</param>
/// <param name="IsCount">Whether this is a count window's number rather than time.</param>
public readonly record struct TimeWindow(long Start, long End, bool IsCount = false)
{
    /// <summary>The last timestamp the window holds; the window fires when the watermark reaches it.</summary>
    public long MaxTimestamp => End - 1;

    /// <summary>Whether two time windows overlap or touch (session windows merge then).</summary>
    /// <param name="other">The other window.</param>
    /// <returns>Whether they intersect.</returns>
    public bool Intersects(TimeWindow other) => Start <= other.End && other.Start <= End;

    /// <summary>The smallest window holding both.</summary>
    /// <param name="other">The other window.</param>
    /// <returns>The cover.</returns>
    public TimeWindow Cover(TimeWindow other) => new(Math.Min(Start, other.Start), Math.Max(End, other.End));

    /// <summary>A stable text form, used in result keys: <c>start-end</c> in milliseconds, or <c>#n</c> for a count window.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => IsCount
        ? string.Create(CultureInfo.InvariantCulture, $"#{Start}")
        : string.Create(CultureInfo.InvariantCulture, $"{Start}-{End}");
}
