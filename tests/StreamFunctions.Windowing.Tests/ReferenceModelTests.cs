using StreamFunctions.Windowing.Engine;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Windowing.Tests;

/// <summary>
/// The engine against a direct model of its rules, on long seeded random inputs where keys come and go (so key
/// state is dropped and reused): an event goes to every window whose end − 1 + lateness is past the watermark as
/// of its batch's start, the watermark being the largest earlier event time minus the out-of-orderness minus
/// 1 ms; every window's last emitted result must hold exactly the events the model accepted (count, sum, min, max,
/// and an average over a column with missing values), and the side output exactly the events it rejected.
/// </summary>
public sealed class ReferenceModelTests
{
    [Theory]
    [InlineData("tumbling", 1)]
    [InlineData("tumbling", 2)]
    [InlineData("sliding", 3)]
    public void RandomOutOfOrderInput_LastResultPerWindowMatchesModel(string kind, int seed)
    {
        const long OutOfOrder = 3_000, Lateness = 4_000;
        var window = kind == "tumbling" ? WindowSpec.Tumbling(TimeSpan.FromSeconds(10)) : WindowSpec.Sliding(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(4));
        var engine = new WindowedAggregator(new AggregationSpec
        {
            Name = "m",
            Window = window,
            OutOfOrderness = TimeSpan.FromMilliseconds(OutOfOrder),
            AllowedLateness = TimeSpan.FromMilliseconds(Lateness),
            Aggregates =
            [
                new() { Name = "n", Function = AggregateFunction.Count },
                new() { Name = "sum", Function = AggregateFunction.Sum, Column = 0 },
                new() { Name = "lo", Function = AggregateFunction.Min, Column = 0 },
                new() { Name = "hi", Function = AggregateFunction.Max, Column = 0 },
                new() { Name = "mean", Function = AggregateFunction.Avg, Column = 1 },
            ],
        });
        var random = new Random(seed);
        var expected = new Dictionary<string, Expected>();
        var last = new Dictionary<string, WindowResult>();
        long maxSeen = long.MinValue, emitted = 0;
        for (var batch = 0; batch < 300; batch++)
        {
            var watermark = maxSeen == long.MinValue ? long.MinValue : maxSeen - OutOfOrder - 1;
            var size = random.Next(1, 200);
            var keys = new string[size];
            var times = new long[size];
            var values = new double[size * 2];
            var rejected = new List<int>();
            for (var i = 0; i < size; i++)
            {
                // Time moves ~1 s per batch with up to 9 s of disorder (some beyond the bound and the lateness);
                // keys drift with time, so old keys fall silent and their state is freed while new ones arrive.
                var t = (batch * 1_000L) + random.Next(-9_000, 1_000);
                keys[i] = new string($"key-{(t / 15_000) + random.Next(12)}");
                times[i] = t;
                values[2 * i] = random.Next(100);
                values[(2 * i) + 1] = random.Next(4) == 0 ? double.NaN : random.Next(1_000);
                var accepted = false;
                for (var start = window.LastStart(t); start > t - window.Size; start -= kind == "tumbling" ? window.Size : window.Slide)
                {
                    var end = start + window.Size;
                    if (end - 1 + Lateness > watermark)
                    {
                        var resultKey = $"m/{keys[i]}/{new TimeWindow(start, end)}";
                        expected[resultKey] = expected.GetValueOrDefault(resultKey, Expected.None).With(values[2 * i], values[(2 * i) + 1]);
                        accepted = true;
                    }
                }

                if (!accepted)
                {
                    rejected.Add(i);
                }
            }

            maxSeen = Math.Max(maxSeen, times.Max());
            Assert.Equal(rejected, engine.Add("shard", keys, times, values).Late);
            foreach (var result in engine.Advance())
            {
                last[result.ResultKey] = result;
                emitted++;
            }
        }

        foreach (var result in engine.FireAll())
        {
            last[result.ResultKey] = result;
        }

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), last.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, model) in expected)
        {
            var got = last[key].Values.Select(v => v.Value).ToList();
            Assert.True(
                last[key].Count == model.Count && got[0] == model.Count && got[1] == model.Sum && got[2] == model.Min && got[3] == model.Max && got[4] == model.Mean,
                $"{key}: expected {model}, got n={last[key].Count} [{string.Join(", ", got)}]");
        }

        // Windows fired before FireAll, and key state was freed along the way (keys drift).
        Assert.True(emitted > expected.Count / 2, $"only {emitted} results before the end");
    }

    private sealed record Expected(long Count, double Sum, double Min, double Max, long Present, double Total)
    {
        public static readonly Expected None = new(0, 0, double.PositiveInfinity, double.NegativeInfinity, 0, 0);

        public double? Mean => Present == 0 ? null : Total / Present;

        public Expected With(double value, double other) => new(
            Count + 1,
            Sum + value,
            Math.Min(Min, value),
            Math.Max(Max, value),
            double.IsNaN(other) ? Present : Present + 1,
            double.IsNaN(other) ? Total : Total + other);
    }
}
