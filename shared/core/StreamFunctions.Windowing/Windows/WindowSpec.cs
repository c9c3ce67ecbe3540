using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Windowing.Windows;

/// <summary>The kind of window.</summary>
public enum WindowKind
{
    /// <summary>Fixed-size, non-overlapping windows.</summary>
    Tumbling,

    /// <summary>Fixed-size windows that start every slide (hopping); an event belongs to size / slide of them.</summary>
    Sliding,

    /// <summary>Per-key windows that close after a gap without events; overlapping sessions merge.</summary>
    Session,

    /// <summary>One window per key that fires and restarts every <see cref="WindowSpec.Count"/> events (Flink's countWindow).</summary>
    Count,
}

/// <summary>How events are grouped in windows, as Flink's window assigners (sizes in milliseconds).</summary>
/// <remarks>
/// Each factory names the kind's assigner (<c>Engine/Assigners/</c>), the one place that says how the engine
/// places an event of that kind: a new kind is its assigner, a factory here and its configuration entry.
/// </remarks>
public sealed record WindowSpec
{
    private readonly Func<WindowedAggregator, WindowedAggregator.WindowAssigner> _assigner;

    private WindowSpec(WindowKind kind, long size, long slide, long offset, long gap, long count, Func<WindowedAggregator, WindowedAggregator.WindowAssigner> assigner)
    {
        _assigner = assigner;
        Kind = kind;
        Size = size;
        Slide = slide;
        Offset = offset;
        Gap = gap;
        Count = count;
    }

    /// <summary>The kind.</summary>
    public WindowKind Kind { get; }

    /// <summary>The window length (tumbling, sliding).</summary>
    public long Size { get; }

    /// <summary>How often a window starts (sliding; equals <see cref="Size"/> for tumbling).</summary>
    public long Slide { get; }

    /// <summary>Shifts window starts from the epoch (e.g. a time zone's offset for daily windows).</summary>
    public long Offset { get; }

    /// <summary>The inactivity gap that closes a session.</summary>
    public long Gap { get; }

    /// <summary>The events per count window.</summary>
    public long Count { get; }

    /// <summary>Tumbling windows.</summary>
    /// <param name="size">The length.</param>
    /// <param name="offset">Shift of the window starts.</param>
    /// <returns>The spec.</returns>
    public static WindowSpec Tumbling(TimeSpan size, TimeSpan offset = default) => Sliding(size, size, offset);

    /// <summary>Sliding (hopping) windows.</summary>
    /// <param name="size">The length.</param>
    /// <param name="slide">How often one starts; at most <paramref name="size"/>.</param>
    /// <param name="offset">Shift of the window starts.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A length is not positive, or the slide exceeds the size.</exception>
    public static WindowSpec Sliding(TimeSpan size, TimeSpan slide, TimeSpan offset = default)
    {
        var s = Milliseconds(size, nameof(size));
        var h = Milliseconds(slide, nameof(slide));
        if (h > s)
        {
            throw new ArgumentOutOfRangeException(nameof(slide), slide, "The slide is at most the window size (a larger slide would leave gaps no window covers).");
        }

        if (s / h > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(slide), slide, $"An event would belong to {s / h} windows; at most 1,000 are allowed (use a larger slide).");
        }

        var o = (long)offset.TotalMilliseconds;
        return s == h
            ? new WindowSpec(WindowKind.Tumbling, s, h, ((o % h) + h) % h, 0, 0, static engine => new WindowedAggregator.TumblingAssigner(engine))
            : new WindowSpec(WindowKind.Sliding, s, h, ((o % h) + h) % h, 0, 0, static engine => new WindowedAggregator.SlidingAssigner(engine));
    }

    /// <summary>Session windows.</summary>
    /// <param name="gap">The inactivity gap.</param>
    /// <returns>The spec.</returns>
    public static WindowSpec Session(TimeSpan gap) => new(WindowKind.Session, 0, 0, 0, Milliseconds(gap, nameof(gap)), 0, static engine => new WindowedAggregator.SessionAssigner(engine));

    /// <summary>Count windows: every <paramref name="count"/> events of a key form a window.</summary>
    /// <param name="count">Events per window.</param>
    /// <returns>The spec.</returns>
    public static WindowSpec CountOf(long count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new WindowSpec(WindowKind.Count, 0, 0, 0, 0, count, static engine => new WindowedAggregator.CountAssigner(engine));
    }

    /// <summary>The start of the last window (tumbling, sliding) that holds <paramref name="timestamp"/>.</summary>
    /// <param name="timestamp">Event time, ms.</param>
    /// <returns>The window start.</returns>
    public long LastStart(long timestamp)
    {
        var r = (timestamp - Offset) % Slide;
        return timestamp - (r < 0 ? r + Slide : r);
    }

    // The assigner that places this spec's events in the engine's windows.
    internal WindowedAggregator.WindowAssigner CreateAssigner(WindowedAggregator engine) => _assigner(engine);

    private static long Milliseconds(TimeSpan value, string name)
    {
        var ms = (long)value.TotalMilliseconds;
        return ms >= 1 ? ms : throw new ArgumentOutOfRangeException(name, value, "A window length is at least 1 ms.");
    }
}
