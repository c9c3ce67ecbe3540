using StreamFunctions.Testing;
using StreamFunctions.Windowing.Engine;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Windowing.Tests;

/// <summary>Out-of-order inputs whose results are worked out by hand in each test's comments (times in seconds).</summary>
public sealed class WindowFixtureTests
{
    private static readonly AggregateSpec[] CountSum =
    [
        new() { Name = "n", Function = AggregateFunction.Count },
        new() { Name = "sum", Function = AggregateFunction.Sum, Column = 0 },
    ];

    [Fact]
    public void Tumbling_OutOfOrderWithinBound_FiresWhenWatermarkPassesEnd()
    {
        // 10 s windows, out-of-orderness 2 s. Batch 1: a@1 b@4 a@12 a@3 → max 12 s, watermark 12000 − 2000 − 1 = 9999
        // = [0,10)'s last ms, so [0,10) fires: a {1, 3} n=2 sum=4, b {4} n=1 sum=4. a@3 arrived after a@12 but
        // within the bound. [10,20) holds a@12 and waits.
        var engine = Engine(WindowSpec.Tumbling(TimeSpan.FromSeconds(10)), outOfOrderness: 2);
        Add(engine, "s", ("a", 1, 1), ("b", 4, 4), ("a", 12, 12), ("a", 3, 3));

        var fired = engine.Advance();

        Assert.Equal(9_999, engine.Watermark);
        Assert.Equal(["a [0-10000) n=2 sum=4", "b [0-10000) n=1 sum=4"], Describe(fired));

        // Batch 2: a@9 is late ([0,10) fired, no lateness) → side output, index 0; a@15 joins [10,20).
        var late = Add(engine, "s", ("a", 9, 9), ("a", 15, 15));
        Assert.Equal([0], late.Late);
        Assert.Empty(engine.Advance());
        Assert.Equal(["a [10000-20000) n=2 sum=27"], Describe(engine.FireAll()));
    }

    [Theory]
    [InlineData(WindowKind.Tumbling)]
    [InlineData(WindowKind.Session)]
    public void NullKey_IsRejectedBeforeAnyEventOfTheBatchIsApplied(WindowKind kind)
    {
        var engine = Engine(kind == WindowKind.Tumbling ? WindowSpec.Tumbling(TimeSpan.FromSeconds(10)) : WindowSpec.Session(TimeSpan.FromSeconds(5)));
        var error = Assert.Throws<ArgumentException>(() => engine.Add("s", ["a", null!, "b"], [1_000L, 2_000L, 3_000L], [1.0, 2.0, 3.0]));
        Assert.Contains("event 1", error.Message, StringComparison.Ordinal);

        // Nothing of the rejected batch counts: a redelivery of it, fixed, gives the right answer.
        engine.Add("s", ["a", "a", "b"], [1_000L, 2_000L, 3_000L], [1.0, 2.0, 3.0]);
        Assert.Equal(kind == WindowKind.Tumbling ? ["a [0-10000) n=2 sum=3", "b [0-10000) n=1 sum=3"] : ["a [1000-7000) n=2 sum=3", "b [3000-8000) n=1 sum=3"], Describe(engine.FireAll()));
    }

    [Fact]
    public void Sliding_EventInEveryOverlappingWindow()
    {
        // 10 s windows every 5 s. a@7 is in [0,10) and [5,15); a@12 in [5,15) and [10,20); a@3 in [-5,5) and [0,10).
        var engine = Engine(WindowSpec.Sliding(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)));
        Add(engine, "s", ("a", 7, 1), ("a", 12, 10), ("a", 3, 100));

        Assert.Equal(
            ["a [-5000-5000) n=1 sum=100", "a [0-10000) n=2 sum=101", "a [5000-15000) n=2 sum=11", "a [10000-20000) n=1 sum=10"],
            Describe(engine.FireAll()));
    }

    [Fact]
    public void Session_OutOfOrderEventBridgesTwoSessions()
    {
        // Gap 5 s. a@1 → [1,6); a@4 → [1,9); a@20 → [20,25); a@14 → [14,19) touches nothing yet ([1,9) ends at 9);
        // a@10 → [10,15) touches [1,9)? no (9 < 10); it overlaps [14,19) → [10,19); a@9 → [9,14) touches [1,9) (end 9 = start 9)
        // and [10,19) → all merge into [1,19) with n=5; [20,25) stays apart (19 < 20).
        var engine = Engine(WindowSpec.Session(TimeSpan.FromSeconds(5)));
        Add(engine, "s", ("a", 1, 1), ("a", 4, 1), ("a", 20, 1), ("a", 14, 1), ("a", 10, 1), ("a", 9, 1));

        Assert.Equal(["a [1000-19000) n=5 sum=5", "a [20000-25000) n=1 sum=1"], Describe(engine.FireAll()));
    }

    [Fact]
    public void Session_OfOneEvent_FiresWhenTheWatermarkPassesItsGap()
    {
        // Gap 5 s, no out-of-orderness. a@1 opens [1,6) and never grows; b@3 → [3,8). b@10 → watermark 9999 ≥ 5999
        // and ≥ 7999: both sessions fire through Advance, not only at the end (FireAll). b@10 opens [10,15) and waits.
        var engine = Engine(WindowSpec.Session(TimeSpan.FromSeconds(5)));
        Add(engine, "s", ("a", 1, 1), ("b", 3, 2));
        Assert.Empty(engine.Advance());

        Add(engine, "s", ("b", 10, 4));
        Assert.Equal(["a [1000-6000) n=1 sum=1", "b [3000-8000) n=1 sum=2"], Describe(engine.Advance()).Order(StringComparer.Ordinal));
        Assert.Equal(["b [10000-15000) n=1 sum=4"], Describe(engine.FireAll()));
    }

    [Fact]
    public void Session_GrownByALaterEvent_FiresAtItsNewEndOnly()
    {
        // Gap 5 s. a@1 → [1,6); a@4 grows it to [1,9). A watermark of 6999 (b@7) passes the first end but not the new one.
        var engine = Engine(WindowSpec.Session(TimeSpan.FromSeconds(5)));
        Add(engine, "s", ("a", 1, 1), ("a", 4, 1), ("b", 7, 1));
        Assert.Empty(engine.Advance());

        // b@13 → watermark 12999: a's [1,9) and b's [7,12) fire once each.
        Add(engine, "s", ("b", 13, 1));
        Assert.Equal(["a [1000-9000) n=2 sum=2", "b [7000-12000) n=1 sum=1"], Describe(engine.Advance()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Tumbling_LateWithinLateness_UpdatesThenSideOutput()
    {
        // 10 s windows, lateness 5 s, no out-of-orderness. a@1; a@13 → watermark 12999 ≥ 9999: [0,10) fires n=1.
        var engine = Engine(WindowSpec.Tumbling(TimeSpan.FromSeconds(10)), lateness: 5);
        Add(engine, "s", ("a", 1, 1), ("a", 13, 1));
        Assert.Equal(["a [0-10000) n=1 sum=1"], Describe(engine.Advance()));

        // a@2: 9999 + 5000 = 14999 > 12999, so still accepted: [0,10) fires again as an update, n=2.
        Assert.Empty(Add(engine, "s", ("a", 2, 2)).Late);
        var update = Assert.Single(engine.Advance());
        Assert.True(update.IsUpdate);
        Assert.Equal("a [0-10000) n=2 sum=3", Describe([update])[0]);

        // a@16 → watermark 15999 ≥ 14999: [0,10) is dropped. a@3 is now later than the lateness → side output.
        Add(engine, "s", ("a", 16, 1));
        Assert.Empty(engine.Advance());
        Assert.Equal([0], Add(engine, "s", ("a", 3, 1)).Late);
        Assert.Equal(["a [10000-20000) n=2 sum=2"], Describe(engine.FireAll()));
    }

    [Fact]
    public void IdleShard_StopsHoldingTheWatermarkBack()
    {
        // Two shards, idle after 10 s of processing time. s1: a@1, s2: b@2, s1: a@30 → watermark = min(29999, 1999).
        var clock = new ManualTimeProvider();
        var engine = Engine(WindowSpec.Tumbling(TimeSpan.FromSeconds(10)), idle: 10, time: clock);
        Add(engine, "s1", ("a", 1, 1));
        Add(engine, "s2", ("b", 2, 1));
        Add(engine, "s1", ("a", 30, 1));
        Assert.Empty(engine.Advance());
        Assert.Equal(1_999, engine.Watermark);

        // 11 s later s1 is still active, s2 has been silent: only s1 counts, watermark 29999 → [0,10) fires for a and b.
        clock.Advance(TimeSpan.FromSeconds(11));
        engine.Touch("s1");
        Assert.Equal(["a [0-10000) n=1 sum=1", "b [0-10000) n=1 sum=1"], Describe(engine.Advance()).Order(StringComparer.Ordinal));
        Assert.Equal(29_999, engine.Watermark);
    }

    [Fact]
    public void Count_FiresEveryNEventsPerKey()
    {
        var engine = Engine(WindowSpec.CountOf(3));
        Add(engine, "s", ("a", 5, 1), ("b", 1, 1), ("a", 1, 2), ("a", 9, 3), ("a", 2, 4));

        Assert.Equal(["a #0 n=3 sum=6"], Describe(engine.Advance()));
        Assert.Equal(["a #1 n=1 sum=4", "b #0 n=1 sum=1"], Describe(engine.FireAll()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NumericAggregates_MissingValuesSkipped()
    {
        var spec = new AggregationSpec
        {
            Name = "stats",
            Window = WindowSpec.Tumbling(TimeSpan.FromSeconds(10)),
            Aggregates =
            [
                new() { Name = "n", Function = AggregateFunction.Count },
                new() { Name = "min", Function = AggregateFunction.Min, Column = 0 },
                new() { Name = "max", Function = AggregateFunction.Max, Column = 0 },
                new() { Name = "avg", Function = AggregateFunction.Avg, Column = 0 },
                new() { Name = "users", Function = AggregateFunction.DistinctCount, Column = 0 },
                new() { Name = "pages", Function = AggregateFunction.TopK, Column = 1, K = 2 },
            ],
        };
        var engine = new WindowedAggregator(spec);
        engine.Add("s", ["k", "k", "k", "k"], [1000, 2000, 3000, 4000], [4, double.NaN, -2, 10], ["u1", "/a", "u2", "/b", "u1", "/a", null, "/a"]);

        var result = Assert.Single(engine.FireAll());

        Assert.Equal("stats/k/0-10000", result.ResultKey);
        Assert.Equal(4, result.Count);
        Assert.Equal(new double?[] { 4, -2, 10, 4, 2 }, result.Values.Take(5).Select(v => v.Value));
        Assert.Equal([("/a", 3L), ("/b", 1L)], result.Values[5].Top!.Select(t => (t.Item, t.Count)));
    }

    [Fact]
    public void Replay_SameBatches_SameResults()
    {
        (string, long, double)[][] batches =
        [
            [("a", 1, 1), ("b", 7, 2), ("a", 11, 3)],
            [("a", 4, 4), ("b", 22, 5), ("c", 9, 6)],
            [("a", 35, 7), ("b", 12, 8)],
        ];
        List<string> Run()
        {
            var engine = Engine(WindowSpec.Tumbling(TimeSpan.FromSeconds(10)), outOfOrderness: 3, lateness: 2);
            var results = new List<string>();
            foreach (var batch in batches)
            {
                var late = Add(engine, "s", batch).Late;
                results.AddRange(late.Select(i => $"late {batch[i]}"));
                results.AddRange(Describe(engine.Advance()));
            }

            results.AddRange(Describe(engine.FireAll()));
            return results;
        }

        Assert.Equal(Run(), Run());
    }

    private static WindowedAggregator Engine(WindowSpec window, int outOfOrderness = 0, int lateness = 0, int? idle = null, TimeProvider? time = null) =>
        new(new AggregationSpec
        {
            Name = "test",
            Window = window,
            Aggregates = CountSum,
            OutOfOrderness = TimeSpan.FromSeconds(outOfOrderness),
            AllowedLateness = TimeSpan.FromSeconds(lateness),
            IdleTimeout = idle is { } s ? TimeSpan.FromSeconds(s) : null,
        }, time);

    private static AddResult Add(WindowedAggregator engine, string shard, params (string Key, long Seconds, double Value)[] events) =>
        engine.Add(shard, [.. events.Select(e => e.Key)], [.. events.Select(e => e.Seconds * 1000)], [.. events.Select(e => e.Value)]);

    private static List<string> Describe(IEnumerable<WindowResult> results) =>
        [.. results.Select(r => FormattableString.Invariant($"{r.Key} {(r.Window.IsCount ? r.Window.ToString() : $"[{r.Window})")} n={r.Count} sum={r.Values[1].Value}"))];
}
