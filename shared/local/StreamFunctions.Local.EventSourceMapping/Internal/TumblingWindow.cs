namespace StreamFunctions.Local.EventSourceMapping.Internal;

/// <summary>One tumbling window of one shard and the state its function returned so far.</summary>
/// <param name="Start">The window's start (included), a multiple of the window length since the Unix epoch.</param>
/// <param name="End">The window's end (excluded).</param>
internal sealed record TumblingWindow(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The state returned by the last invocation of this window, as raw JSON (<c>{}</c> at first).</summary>
    public string StateJson { get; set; } = "{}";

    /// <summary>How many invocations this window had.</summary>
    public int Invocations { get; set; }

    /// <summary>The window that holds <paramref name="arrival"/>, for windows of <paramref name="seconds"/>.</summary>
    public static TumblingWindow Of(DateTimeOffset arrival, int seconds)
    {
        var length = seconds * 1000L;
        var ms = arrival.ToUnixTimeMilliseconds();
        var start = ms - (((ms % length) + length) % length);
        return new TumblingWindow(DateTimeOffset.FromUnixTimeMilliseconds(start), DateTimeOffset.FromUnixTimeMilliseconds(start + length));
    }

    /// <summary>Whether <paramref name="arrival"/> falls in this window.</summary>
    public bool Contains(DateTimeOffset arrival) => arrival >= Start && arrival < End;
}
