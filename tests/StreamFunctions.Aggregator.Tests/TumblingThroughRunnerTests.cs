using System.Text;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Testing;

namespace StreamFunctions.Aggregator.Tests;

/// <summary>
/// The Aggregator's handler on Lambda's native tumbling windows, driven by the event-source-mapping runner with
/// TumblingWindowInSeconds: windows by arrival time on the embedded stream log's clock, the state passed from
/// invocation to invocation (spilled past a small inline limit), the final invocation writing each window's
/// results. Counts are checked against the records written into each window.
/// </summary>
public sealed class TumblingThroughRunnerTests : IDisposable
{
    private const string Config = """
        {"name": "orders", "key": "$.customer", "time": "arrival", "window": {"type": "tumbling", "size": "1m"},
         "aggregates": [{"name": "n", "function": "count"}, {"name": "revenue", "function": "sum", "field": "$.amount"}]}
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sfn-tumbling-" + Guid.NewGuid().ToString("N"));

    [Theory(Timeout = 120_000)]
    [InlineData(600 * 1024)]
    [InlineData(64)]
    public async Task Runner_TwoWindowsInSmallBatches_FinalInvocationsWriteExactCounts(int maxInline)
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        using var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _directory }, clock);
        await kinesis.CreateStreamAsync(new CreateStreamRequest("orders", 1));
        var config = AggregatorConfig.Parse(Config);
        var results = new InMemoryWindowResultWriter();
        var spill = new InMemorySnapshotSpill();
        var function = new AggregatorFunction(
            new StreamWindowAggregator(config, new InMemoryAggregatorStateStore(), results),
            new LambdaTumblingWindowAggregator(config, results, spill, maxInlineBytes: maxInline));
        await using var inProcess = new InProcessLambdaInvoker(function.HandleAsync, new LocalFunctionOptions { FunctionName = "Aggregator", Timeout = TimeSpan.FromSeconds(30) });
        var invoker = new FailureRecorder(inProcess);
        var mapping = new KinesisEventSourceMapping(kinesis, invoker, new KinesisEventSourceOptions
        {
            StreamName = "orders",
            BatchSize = 7,
            TumblingWindowInSeconds = 60,
            PollInterval = TimeSpan.Zero,
            MaximumRetryAttempts = 0,
        }, new InMemoryShardCheckpointStore(), time: clock);

        // Window [10:00, 10:01): 40 orders over 50 s; window [10:01, 10:02): 25 more.
        var expected = new Dictionary<string, (long Count, double Sum)>();
        async Task PutAsync(int n, long windowStart)
        {
            var customer = $"c{n % 3}";
            await kinesis.PutRecordAsync(new PutRecordRequest("orders", Encoding.UTF8.GetBytes($$"""{"customer":"{{customer}}","amount":{{n}}}"""), customer));
            var key = $"orders/{customer}/{windowStart}-{windowStart + 60_000}";
            var (count, sum) = expected.GetValueOrDefault(key);
            expected[key] = (count + 1, sum + n);
        }

        var first = clock.GetUtcNow().ToUnixTimeMilliseconds();
        for (var n = 0; n < 40; n++)
        {
            await PutAsync(n, first);
            clock.Advance(TimeSpan.FromMilliseconds(1_250));
            await mapping.PollOnceAsync();
        }

        clock.Advance(TimeSpan.FromSeconds(15));
        for (var n = 40; n < 65; n++)
        {
            await PutAsync(n, first + 60_000);
            await mapping.PollOnceAsync();
        }

        clock.Advance(TimeSpan.FromMinutes(2));
        await mapping.DrainAsync();

        Assert.True(invoker.Failures.Count == 0, string.Join('\n', invoker.Failures));
        var actual = results.Results.ToDictionary(r => r.Key, r => (r.Value.Count, r.Value.Values[1].Value!.Value));
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(a => a.Key, StringComparer.Ordinal));
        // Past the inline limit the state went through the spill table between invocations; at most each window's
        // last spilled state remains (the final invocation started from it; its TTL removes it).
        Assert.Equal(maxInline < 1_000, invoker.SpilledStates > 0);
        Assert.True(spill.Ids.Count <= 2, $"spilled states left: {string.Join(", ", spill.Ids)}");
    }

    private sealed class FailureRecorder(Lambda.Invocation.ILambdaInvoker inner) : Lambda.Invocation.ILambdaInvoker
    {
        public List<string> Failures { get; } = [];

        public int SpilledStates { get; private set; }

        public async Task<Lambda.Invocation.LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        {
            var result = await inner.InvokeAsync(payload, cancellationToken);
            if (!result.Succeeded)
            {
                Failures.Add(Encoding.UTF8.GetString(result.Payload.Span));
            }
            else if (Encoding.UTF8.GetString(result.Payload.Span).Contains("\"sfn.spill\"", StringComparison.Ordinal))
            {
                SpilledStates++;
            }

            return result;
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
