using StreamFunctions.Windowing.Sketches;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Windowing.Engine;

/// <summary>One aggregate's value in a result.</summary>
/// <param name="Name">The aggregate's name (a quantile's is <c>name.p99</c>, <c>name.p99.9</c>, …).</param>
/// <param name="Value">The number (null for an empty Min/Max/Avg, and for top-k).</param>
/// <param name="Top">The heavy hitters, for top-k.</param>
public readonly record struct AggregateValue(string Name, double? Value, IReadOnlyList<HeavyHitter>? Top = null);

/// <summary>
/// A window's result for one key. Its <see cref="ResultKey"/> is (aggregation, key, window): a late update or a
/// redelivered batch produces the same key, so writing results by key overwrites instead of duplicating.
/// </summary>
/// <param name="Aggregation">The aggregation's name.</param>
/// <param name="Key">The group key.</param>
/// <param name="Window">The window.</param>
/// <param name="Count">Events in the window.</param>
/// <param name="IsUpdate">Whether the window had fired before (a late event within the allowed lateness changed it).</param>
/// <param name="Values">The aggregates, in spec order.</param>
public sealed record WindowResult(string Aggregation, string Key, TimeWindow Window, long Count, bool IsUpdate, IReadOnlyList<AggregateValue> Values)
{
    /// <summary>(aggregation, key, window) as text: <c>aggregation/key/start-end</c>.</summary>
    public string ResultKey => $"{Aggregation}/{Key}/{Window}";
}

/// <summary>What one <see cref="WindowedAggregator.Add"/> did.</summary>
/// <param name="Applied">Events applied to at least one window.</param>
/// <param name="Late">Indexes (in the batch) of events later than the allowed lateness: the side output.</param>
public sealed record AddResult(int Applied, IReadOnlyList<int> Late);
