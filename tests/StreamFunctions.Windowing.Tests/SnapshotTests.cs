using StreamFunctions.Windowing.Engine;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Windowing.Tests;

public sealed class SnapshotTests
{
    public static TheoryData<string> Windows => ["tumbling", "sliding", "session", "count"];

    [Theory]
    [MemberData(nameof(Windows))]
    public void Restore_EveryBatch_SameResultsAsUninterrupted(string window)
    {
        var spec = Spec(window);
        var batches = Batches(seed: 3, count: 40);

        var uninterrupted = Run(spec, batches, restoreEachBatch: false);
        var restored = Run(spec, batches, restoreEachBatch: true);

        Assert.NotEmpty(uninterrupted);
        Assert.Equal(uninterrupted, restored);
    }

    [Fact]
    public void Restore_OtherAggregates_RefusedWithReason()
    {
        var engine = new WindowedAggregator(Spec("tumbling"));
        var snapshot = engine.Snapshot();

        var e = Assert.Throws<FormatException>(() => WindowedAggregator.Restore(Spec("sliding"), snapshot));
        Assert.Contains("different aggregation", e.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => WindowedAggregator.Restore(Spec("tumbling"), snapshot.AsMemory(0, snapshot.Length / 2)));
    }

    private static List<string> Run(AggregationSpec spec, List<(string[] Keys, long[] Times, double[] Numbers, string?[] Items)> batches, bool restoreEachBatch)
    {
        var engine = new WindowedAggregator(spec);
        var output = new List<string>();
        foreach (var (keys, times, numbers, items) in batches)
        {
            if (restoreEachBatch)
            {
                engine = WindowedAggregator.Restore(spec, engine.Snapshot());
            }

            output.AddRange(engine.Add("shard-1", keys, times, numbers, items).Late.Select(i => $"late {keys[i]}@{times[i]}"));
            // Windows that fire together come in slot order, which a restore may change: compare them as a set.
            output.AddRange(engine.Advance().Select(Describe).Order(StringComparer.Ordinal));
        }

        output.AddRange(engine.FireAll().Select(Describe).Order(StringComparer.Ordinal));
        return output;
    }

    private static string Describe(WindowResult r) =>
        $"{r.ResultKey} n={r.Count} update={r.IsUpdate} " + string.Join(' ', r.Values.Select(v => v.Top is null ? FormattableString.Invariant($"{v.Name}={v.Value:R}") : $"{v.Name}=[{string.Join(',', v.Top.Select(t => $"{t.Item}:{t.Count}"))}]"));

    private static AggregationSpec Spec(string window) => new()
    {
        Name = "orders",
        Window = window switch
        {
            "tumbling" => WindowSpec.Tumbling(TimeSpan.FromSeconds(10)),
            "sliding" => WindowSpec.Sliding(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)),
            "session" => WindowSpec.Session(TimeSpan.FromSeconds(3)),
            _ => WindowSpec.CountOf(7),
        },
        OutOfOrderness = TimeSpan.FromSeconds(2),
        AllowedLateness = TimeSpan.FromSeconds(4),
        Aggregates =
        [
            new() { Name = "n", Function = AggregateFunction.Count },
            new() { Name = "total", Function = AggregateFunction.Sum, Column = 0 },
            new() { Name = "low", Function = AggregateFunction.Min, Column = 0 },
            new() { Name = "avg", Function = AggregateFunction.Avg, Column = 1 },
            new() { Name = "users", Function = AggregateFunction.DistinctCount, Column = 0 },
            new() { Name = "latency", Function = AggregateFunction.Quantiles, Column = 1, Quantiles = [0.5, 0.99] },
            new() { Name = "pages", Function = AggregateFunction.TopK, Column = 1, K = 3 },
        ],
    };

    // Events over ~60 s, up to 8 s out of order (some later than the lateness), 5 keys.
    private static List<(string[], long[], double[], string?[])> Batches(int seed, int count)
    {
        var random = new Random(seed);
        var batches = new List<(string[], long[], double[], string?[])>();
        var now = 0L;
        for (var b = 0; b < count; b++)
        {
            var size = random.Next(1, 12);
            var keys = new string[size];
            var times = new long[size];
            var numbers = new double[size * 2];
            var items = new string?[size * 2];
            for (var i = 0; i < size; i++)
            {
                now += random.Next(0, 400);
                keys[i] = $"k{random.Next(5)}";
                times[i] = now - random.Next(0, 8_000);
                numbers[2 * i] = random.Next(100);
                numbers[(2 * i) + 1] = random.Next(10) == 0 ? double.NaN : random.NextDouble() * 1000;
                items[2 * i] = $"u{random.Next(20)}";
                items[(2 * i) + 1] = random.Next(10) == 0 ? null : $"/p{random.Next(6)}";
            }

            batches.Add((keys, times, numbers, items));
        }

        return batches;
    }
}
