using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Aggregator;

/// <summary>
/// The Aggregator function's handler: a Kinesis or Kafka batch goes through the windowed aggregation (a failure
/// throws and Lambda retries the batch on the last committed state); a Kinesis event with a <c>window</c>
/// (TumblingWindowInSeconds on the mapping) goes through Lambda's own tumbling windows, the state travelling in the
/// response. <c>functions/Aggregator</c> builds it from the environment; the local pipeline builds it in memory.
/// </summary>
/// <param name="aggregator">The event-time aggregation.</param>
/// <param name="tumbling">The Lambda tumbling-window mode.</param>
public sealed class AggregatorFunction(StreamWindowAggregator aggregator, LambdaTumblingWindowAggregator tumbling)
{
    private readonly Lock _gate = new();
    private AggregatorBatchResult _totals = new(0, 0, 0, 0, 0, 0, long.MinValue);

    /// <summary>What this instance did since it started, over event-time batches (the watermark is the last batch's).</summary>
    public AggregatorBatchResult Totals
    {
        get
        {
            lock (_gate)
            {
                return _totals;
            }
        }
    }

    /// <summary>Handles one event.</summary>
    /// <param name="payload">The event.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The response: no batch item failures, or the window state.</returns>
    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        AggregatorBatchResult result;
        var source = LambdaEventSource.Of(payload);
        if (!StreamEventReader.IsStream(source))
        {
            throw new ArgumentException($"Aggregator is triggered by Kinesis or Kafka; this event's source is {LambdaEventSource.Describe(source)}.");
        }

        using (var batch = StreamEventReader.Read(payload.Span, source))
        {
            // With TumblingWindowInSeconds on the mapping, Lambda's own windows: the state travels in the event and the response.
            if (batch.Window is { } window)
            {
                var (response, done) = await tumbling.ProcessAsync(batch, cancellationToken).ConfigureAwait(false);
                context.Logger.Info("window", new("records", done.Records), new("invalid", done.Invalid), new("results", done.Results), new("spilled", done.Spilled), new("final", window.IsFinalInvokeForWindow));
                return JsonSerializer.SerializeToUtf8Bytes(response, LambdaEventsJsonContext.Default.KinesisTimeWindowResponse);
            }

            result = await aggregator.ProcessAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _totals = _totals.Plus(result, result.Watermark);
        }

        context.Logger.Info("aggregated",
            new("records", result.Records),
            new("skipped", result.Skipped),
            new("applied", result.Applied),
            new("late", result.Late),
            new("invalid", result.Invalid),
            new("results", result.Results),
            new("watermark", result.Watermark));
        return "{\"batchItemFailures\":[]}"u8.ToArray();
    }
}
