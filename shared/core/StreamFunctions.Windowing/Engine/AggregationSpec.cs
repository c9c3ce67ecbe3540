using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Windowing.Engine;

/// <summary>What an aggregate computes.</summary>
public enum AggregateFunction
{
    /// <summary>Events in the window.</summary>
    Count,

    /// <summary>Sum of a numeric column.</summary>
    Sum,

    /// <summary>Smallest value of a numeric column.</summary>
    Min,

    /// <summary>Largest value of a numeric column.</summary>
    Max,

    /// <summary>Mean of a numeric column.</summary>
    Avg,

    /// <summary>Distinct items of an item column (HyperLogLog).</summary>
    DistinctCount,

    /// <summary>Quantiles of a numeric column (DDSketch, relative error bounded).</summary>
    Quantiles,

    /// <summary>The most frequent items of an item column (Space-Saving).</summary>
    TopK,
}

/// <summary>One aggregate of a window.</summary>
public sealed record AggregateSpec
{
    /// <summary>The result's name, e.g. <c>revenue</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What it computes.</summary>
    public required AggregateFunction Function { get; init; }

    /// <summary>The input column: a numeric column (Sum, Min, Max, Avg, Quantiles) or an item column (DistinctCount, TopK); unused by Count.</summary>
    public int Column { get; init; }

    /// <summary>The quantiles reported (Quantiles).</summary>
    public IReadOnlyList<double> Quantiles { get; init; } = [0.5, 0.9, 0.99];

    /// <summary>The quantile sketch's relative accuracy α (Quantiles).</summary>
    public double RelativeAccuracy { get; init; } = Sketches.DDSketch.DefaultRelativeAccuracy;

    /// <summary>HyperLogLog precision p (DistinctCount): 2^p registers, standard error 1.04/√(2^p).</summary>
    public int Precision { get; init; } = Sketches.HyperLogLog.DefaultPrecision;

    /// <summary>How many items TopK reports.</summary>
    public int K { get; init; } = 10;

    /// <summary>Counters TopK keeps (default 10·K); its count error is at most events / capacity.</summary>
    public int Capacity { get; init; }

    /// <summary>Whether the aggregate reads a numeric column.</summary>
    public bool IsNumeric => Function is AggregateFunction.Sum or AggregateFunction.Min or AggregateFunction.Max or AggregateFunction.Avg or AggregateFunction.Quantiles;

    /// <summary>Whether the aggregate keeps a sketch.</summary>
    public bool IsSketch => Function is AggregateFunction.DistinctCount or AggregateFunction.Quantiles or AggregateFunction.TopK;
}

/// <summary>A windowed aggregation: windows, time semantics and aggregates, as a Flink keyed window operator.</summary>
public sealed record AggregationSpec
{
    /// <summary>The aggregation's name: the first part of each result's key.</summary>
    public required string Name { get; init; }

    /// <summary>The windows.</summary>
    public required WindowSpec Window { get; init; }

    /// <summary>The aggregates computed per key and window.</summary>
    public required IReadOnlyList<AggregateSpec> Aggregates { get; init; }

    /// <summary>Bounded out-of-orderness: a shard's watermark trails its largest event time by this (Flink's forBoundedOutOfOrderness).</summary>
    public TimeSpan OutOfOrderness { get; init; }

    /// <summary>How long after a window fires late events still update it (Flink's allowedLateness; default 0).</summary>
    public TimeSpan AllowedLateness { get; init; }

    /// <summary>A shard without events for this long (processing time) stops holding the watermark back (Flink's withIdleness); null: never idle.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Numeric columns each event carries (one more than the highest numeric aggregate column).</summary>
    public int NumericColumns => Aggregates.Where(a => a.IsNumeric).Select(a => a.Column + 1).DefaultIfEmpty(0).Max();

    /// <summary>Item columns each event carries.</summary>
    public int ItemColumns => Aggregates.Where(a => a.Function is AggregateFunction.DistinctCount or AggregateFunction.TopK).Select(a => a.Column + 1).DefaultIfEmpty(0).Max();

    /// <summary>Checks the spec.</summary>
    /// <returns>This spec.</returns>
    /// <exception cref="ArgumentException">Something is out of range; the message names it.</exception>
    public AggregationSpec Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("An aggregation has a name.", nameof(Name));
        }

        if (Aggregates.Count == 0)
        {
            throw new ArgumentException($"Aggregation '{Name}' has no aggregates.", nameof(Aggregates));
        }

        if (OutOfOrderness < TimeSpan.Zero || AllowedLateness < TimeSpan.Zero || IdleTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Aggregation '{Name}': outOfOrderness and allowedLateness are ≥ 0 and idleTimeout > 0.");
        }

        foreach (var a in Aggregates)
        {
            if (string.IsNullOrWhiteSpace(a.Name) || Aggregates.Count(b => b.Name == a.Name) > 1)
            {
                throw new ArgumentException($"Aggregation '{Name}': aggregate names are unique and not empty ('{a.Name}').");
            }

            if (a.Column < 0 || (a.Function == AggregateFunction.Quantiles && (a.Quantiles.Count == 0 || a.Quantiles.Any(q => q is < 0 or > 1))))
            {
                throw new ArgumentException($"Aggregation '{Name}', aggregate '{a.Name}': column ≥ 0 and quantiles between 0 and 1.");
            }

            if (a.Function == AggregateFunction.TopK && (a.K < 1 || (a.Capacity != 0 && a.Capacity < a.K)))
            {
                throw new ArgumentException($"Aggregation '{Name}', aggregate '{a.Name}': k ≥ 1 and capacity ≥ k.");
            }
        }

        return this;
    }
}
