using StreamFunctions.Windowing.Sketches;

namespace StreamFunctions.Windowing.Tests;

/// <summary>Each sketch against exact answers on 1,000,000 values, within its documented bound.</summary>
public sealed class SketchAccuracyTests
{
    private const int N = 1_000_000;

    [Theory]
    [InlineData(12)]
    [InlineData(14)]
    public void HyperLogLog_MillionDistinct_WithinThreeStandardErrors(int precision)
    {
        var whole = new HyperLogLog(precision);
        var left = new HyperLogLog(precision);
        var right = new HyperLogLog(precision);
        for (var i = 0; i < N; i++)
        {
            var item = $"user-{i}";
            whole.Add(item);
            (i % 2 == 0 ? left : right).Add(item);

            // Repeats change nothing.
            if (i % 10 == 0)
            {
                whole.Add(item);
            }
        }

        var error = Math.Abs(whole.Estimate() - N) / N;
        Assert.True(error <= 3 * whole.StandardError, $"error {error:P3} > 3 × {whole.StandardError:P3}");

        left.Merge(right);
        Assert.Equal(whole.Registers.ToArray(), left.Registers.ToArray());
        Assert.Equal(whole.Estimate(), HyperLogLog.FromRegisters(whole.Registers).Estimate());
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1000)]
    public void HyperLogLog_SmallCardinality_NearlyExact(int distinct)
    {
        var sketch = new HyperLogLog();
        for (var i = 0; i < distinct * 3; i++)
        {
            sketch.Add($"x{i % distinct}");
        }

        Assert.InRange(sketch.Estimate(), distinct * 0.97, distinct * 1.03);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.02)]
    public void DDSketch_MillionValues_EveryQuantileWithinRelativeAccuracy(double alpha)
    {
        var random = new Random(42);
        var values = new double[N];
        var sketch = new DDSketch(alpha);
        var parts = new[] { new DDSketch(alpha), new DDSketch(alpha), new DDSketch(alpha) };
        for (var i = 0; i < N; i++)
        {
            // Log-normal latencies in ms, with some negatives and zeros to cover every store.
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            values[i] = i % 100 == 0 ? 0 : (i % 50 == 1 ? -1 : 1) * Math.Exp(3 + (1.5 * normal));
            sketch.Add(values[i]);
            parts[i % 3].Add(values[i]);
        }

        Array.Sort(values);
        parts[0].Merge(parts[1]);
        parts[0].Merge(parts[2]);
        foreach (var q in new[] { 0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1 })
        {
            var exact = values[(int)Math.Floor(q * (N - 1))];
            foreach (var s in new[] { sketch, parts[0] })
            {
                var estimate = s.Quantile(q);
                Assert.True(Math.Abs(estimate - exact) <= alpha * Math.Abs(exact), $"q={q}: {estimate} vs exact {exact} (α={alpha})");
            }
        }

        Assert.Equal(N, parts[0].Count);
        var restored = DDSketch.Restore(alpha, sketch.SavedBuckets(), sketch.ZeroCount, sketch.Min, sketch.Max);
        Assert.Equal(sketch.Quantile(0.99), restored.Quantile(0.99));
    }

    [Fact]
    public void TopK_ZipfMillion_HeavyHittersKeptWithinBound()
    {
        const int capacity = 200;
        var random = new Random(7);
        var exact = new Dictionary<string, long>(StringComparer.Ordinal);
        var sketch = new TopK(capacity);
        var halves = new[] { new TopK(capacity), new TopK(capacity) };

        // Zipf(1.1) over 100,000 items.
        var weights = Enumerable.Range(1, 100_000).Select(r => 1 / Math.Pow(r, 1.1)).ToArray();
        var cumulative = new double[weights.Length];
        var total = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            total += weights[i];
            cumulative[i] = total;
        }

        for (var i = 0; i < N; i++)
        {
            var at = Array.BinarySearch(cumulative, random.NextDouble() * total);
            var item = $"item-{(at < 0 ? ~at : at)}";
            exact[item] = exact.GetValueOrDefault(item) + 1;
            sketch.Add(item);
            halves[i % 2].Add(item);
        }

        halves[0].Merge(halves[1]);
        var bound = N / capacity;
        foreach (var s in new[] { sketch, halves[0] })
        {
            var counters = s.Counters().ToDictionary(c => c.Item);
            foreach (var (item, count) in exact.Where(e => e.Value > bound))
            {
                Assert.True(counters.ContainsKey(item), $"{item} (count {count} > N/capacity = {bound}) is missing");
            }

            foreach (var c in counters.Values)
            {
                var truth = exact.GetValueOrDefault(c.Item);
                Assert.InRange(c.Count - truth, 0, bound);
                Assert.InRange(truth, c.Count - c.Error, c.Count);
            }
        }

        var top10 = exact.OrderByDescending(e => e.Value).Take(10).Select(e => e.Key).ToList();
        Assert.Equal(top10, sketch.Top(10).Select(h => h.Item));
    }
}
