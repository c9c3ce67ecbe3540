using System.Diagnostics;
using HdrHistogram;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Cli.Run;

/// <summary>
/// What a run measures besides its counts: the gateway's latency per request as the client sees it (HdrHistogram),
/// the end-to-end lag of each stream record (accepted into the stream → the consuming function finished the batch
/// holding it: durable in the sink's staging, counted by the aggregator), and the process's memory ceiling.
/// </summary>
internal sealed class PipelineMeasurements
{
    private static readonly long Highest = TimeSpan.FromMinutes(30).Ticks;
    private readonly LongHistogram _gateway = new(Highest, 3);
    private readonly Dictionary<string, LongHistogram> _lag = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _heapPeak;

    /// <summary>Gateway request latencies.</summary>
    public LatencySummary Gateway
    {
        get
        {
            lock (_gate)
            {
                return LatencySummary.Of(_gateway);
            }
        }
    }

    /// <summary>The largest GC heap seen by <see cref="SampleMemory"/>, in bytes.</summary>
    public long HeapPeak => _heapPeak;

    /// <summary>The process's peak working set (resident memory), in bytes.</summary>
    public static long PeakWorkingSet
    {
        get
        {
            using var process = Process.GetCurrentProcess();
            return process.PeakWorkingSet64;
        }
    }

    /// <summary>One gateway request's latency.</summary>
    public void RecordGateway(TimeSpan latency)
    {
        lock (_gate)
        {
            _gateway.RecordValue(Math.Clamp(latency.Ticks, 1, Highest));
        }
    }

    /// <summary>The lag of a function's records.</summary>
    public LatencySummary Lag(string function)
    {
        lock (_gate)
        {
            return _lag.TryGetValue(function, out var histogram) ? LatencySummary.Of(histogram) : default;
        }
    }

    /// <summary>Samples the GC heap size (from the pipeline's polling loop, one call at a time).</summary>
    public void SampleMemory() => _heapPeak = Math.Max(_heapPeak, GC.GetTotalMemory(forceFullCollection: false));

    /// <summary>Wraps a function so each successful Kinesis batch records its records' lag under <paramref name="function"/>.</summary>
    public ILambdaInvoker MeasuringLag(string function, ILambdaInvoker inner, TimeProvider time) => new LagInvoker(this, function, inner, time);

    private void RecordLag(string function, IEnumerable<DateTimeOffset> arrivals, DateTimeOffset done)
    {
        lock (_gate)
        {
            if (!_lag.TryGetValue(function, out var histogram))
            {
                _lag[function] = histogram = new LongHistogram(Highest, 3);
            }

            foreach (var arrival in arrivals)
            {
                histogram.RecordValue(Math.Clamp((done - arrival).Ticks, 1, Highest));
            }
        }
    }

    private sealed class LagInvoker(PipelineMeasurements measurements, string function, ILambdaInvoker inner, TimeProvider time) : ILambdaInvoker
    {
        public async Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        {
            // A Kinesis batch carries each record's arrival time; anything else (a flush request) has no records.
            List<DateTimeOffset>? arrivals = null;
            try
            {
                using var batch = KinesisEventReader.Read(payload.Span);
                arrivals = [.. batch.Records.Select(r => r.Timestamp)];
            }
            catch (Lambda.Events.Exceptions.KinesisEventFormatException)
            {
                // Not a Kinesis event: nothing to measure.
            }

            var result = await inner.InvokeAsync(payload, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded && arrivals is { Count: > 0 })
            {
                measurements.RecordLag(function, arrivals, time.GetUtcNow());
            }

            return result;
        }
    }
}

/// <summary>Percentiles of a latency histogram.</summary>
/// <param name="Count">Values recorded.</param>
/// <param name="P50">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="Max">Largest.</param>
internal readonly record struct LatencySummary(long Count, TimeSpan P50, TimeSpan P90, TimeSpan P99, TimeSpan Max)
{
    public static LatencySummary Of(LongHistogram histogram) => histogram.TotalCount == 0 ? default : new(
        histogram.TotalCount,
        TimeSpan.FromTicks(histogram.GetValueAtPercentile(50)),
        TimeSpan.FromTicks(histogram.GetValueAtPercentile(90)),
        TimeSpan.FromTicks(histogram.GetValueAtPercentile(99)),
        TimeSpan.FromTicks(histogram.GetMaxValue()));

    public override string ToString() => Count == 0 ? "none recorded"
        : FormattableString.Invariant($"p50 {Ms(P50)}, p90 {Ms(P90)}, p99 {Ms(P99)}, max {Ms(Max)} ({Count:N0} samples)");

    private static string Ms(TimeSpan value) => FormattableString.Invariant($"{value.TotalMilliseconds:0.0} ms");
}
