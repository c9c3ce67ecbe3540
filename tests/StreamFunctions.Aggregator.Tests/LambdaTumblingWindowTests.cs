using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Testing;

namespace StreamFunctions.Aggregator.Tests;

/// <summary>
/// Lambda's tumbling windows, invoked as Lambda does: each invocation gets the state the previous successful one
/// returned; a failed invocation is retried with the same state; the final one writes the results.
/// </summary>
public sealed class LambdaTumblingWindowTests
{
    private const string Config = """
        {"name": "orders", "key": "$.customer", "time": "arrival", "window": {"type": "tumbling", "size": "1m"},
         "aggregates": [{"name": "n", "function": "count"}, {"name": "revenue", "function": "sum", "field": "$.amount"},
                        {"name": "buyers", "function": "distinct", "field": "$.user"}]}
        """;

    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(600 * 1024, false)]
    [InlineData(64, true)]
    public async Task Window_InvocationsWithRetries_ExactResultsAndSpillCleanedUp(int maxInline, bool spills)
    {
        var results = new InMemoryWindowResultWriter();
        var spill = new InMemorySnapshotSpill();
        var aggregator = new LambdaTumblingWindowAggregator(AggregatorConfig.Parse(Config), results, spill, maxInlineBytes: maxInline);
        IDictionary<string, JsonElement> state = new Dictionary<string, JsonElement>();
        var records = Enumerable.Range(0, 600).Select(Order).ToList();

        foreach (var (batch, index) in records.Chunk(50).Select((b, i) => (b, i)))
        {
            var evnt = Event(batch, state, final: false);
            var (response, result) = await aggregator.ProcessAsync(evnt);
            Assert.Equal(spills, result.Spilled);
            if (index % 3 == 1)
            {
                // The invocation "failed" after its work: Lambda retries it with the state it had.
                (response, _) = await aggregator.ProcessAsync(Event(batch, state, final: false));
            }

            state = response.State;
        }

        var (last, final) = await aggregator.ProcessAsync(Event([], state, final: true));

        Assert.Empty(last.State);
        Assert.Equal(3, final.Results);
        foreach (var customer in new[] { "c0", "c1", "c2" })
        {
            var expected = Enumerable.Range(0, 600).Where(n => $"c{n % 3}" == customer).ToList();
            var r = results.Results[$"orders/{customer}/{Start.ToUnixTimeMilliseconds()}-{Start.ToUnixTimeMilliseconds() + 60_000}"];
            Assert.Equal(expected.Count, r.Count);
            Assert.Equal(expected.Sum(n => n % 7), r.Values[1].Value);
            Assert.Equal(expected.Select(n => n % 11).Distinct().Count(), r.Values[2].Value);
        }

        // Only the state the final invocation started from may remain (its TTL removes it).
        Assert.True(spill.Ids.Count <= (spills ? 1 : 0), string.Join(", ", spill.Ids));
    }

    [Fact]
    public async Task Window_ForeignState_RefusedWithReason()
    {
        var aggregator = new LambdaTumblingWindowAggregator(AggregatorConfig.Parse(Config), new InMemoryWindowResultWriter(), new InMemorySnapshotSpill());
        var state = new Dictionary<string, JsonElement> { ["1"] = JsonSerializer.SerializeToElement(282) };

        var e = await Assert.ThrowsAsync<ArgumentException>(() => aggregator.ProcessAsync(Event([Order(0)], state, final: false)));
        Assert.Contains("not written by this aggregator", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Window_SampleEventShape_ReadsAwsDocumentedEvent()
    {
        var evnt = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root(), "events", "kinesis-tumbling-window.json")), Lambda.Events.LambdaEventsJsonContext.Default.KinesisTimeWindowEvent)!;
        evnt.State = new Dictionary<string, JsonElement>();
        var aggregator = new LambdaTumblingWindowAggregator(AggregatorConfig.Parse(Config), new InMemoryWindowResultWriter(), new InMemorySnapshotSpill());

        // AWS's sample record is plain text: it is not counted, and is reported as invalid.
        var (response, result) = await aggregator.ProcessAsync(evnt);

        Assert.Equal((0, 1), (result.Records, result.Invalid));
        Assert.True(response.State.ContainsKey(LambdaTumblingWindowAggregator.SnapshotKey));
    }

    private static KinesisEventRecord Order(int n) => new()
    {
        EventSource = "aws:kinesis",
        EventId = $"shardId-000000000003:{49_600_000_000_000_000L + n}",
        Kinesis = new KinesisRecord
        {
            PartitionKey = $"c{n % 3}",
            SequenceNumber = (49_600_000_000_000_000L + n).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Data = Encoding.UTF8.GetBytes($$"""{"customer":"c{{n % 3}}","amount":{{n % 7}},"user":"u{{n % 11}}"}"""),
            ApproximateArrivalTimestamp = Start.AddMilliseconds(n * 50),
        },
    };

    private static KinesisTimeWindowEvent Event(IEnumerable<KinesisEventRecord> records, IDictionary<string, JsonElement> state, bool final) => new()
    {
        Records = [.. records],
        Window = new TimeWindow { Start = Start, End = Start.AddMinutes(1) },
        State = new Dictionary<string, JsonElement>(state),
        ShardId = "shardId-000000000003",
        IsFinalInvokeForWindow = final,
    };
}
