using System.Globalization;
using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Sink;

/// <summary>
/// The S3Sink function's handler: a Kinesis or Kafka batch is made durable (or the invocation throws and Lambda
/// retries the whole batch, whose durable records are skipped); a schedule (an EventBridge scheduled event, source
/// <c>aws.events</c> and detail-type <c>Scheduled Event</c>, or <c>{"action": "flush"}</c>, e.g. an EventBridge Scheduler
/// schedule's input) delivers partitions whose interval passed, and <c>{"action": "flush", "all": true}</c>
/// delivers every open partition. <c>functions/S3Sink</c> builds it from the
/// environment; the local pipeline builds it on a folder.
/// </summary>
/// <param name="sink">The sink.</param>
public sealed class S3SinkFunction(S3Sink sink)
{
    private readonly Lock _gate = new();
    private SinkResult _totals = new(0, 0, 0, 0, 0, 0, null);

    /// <summary>What this instance wrote since it started (batches summed; <see cref="SinkResult.FlushError"/> the last one).</summary>
    public SinkResult Totals
    {
        get
        {
            lock (_gate)
            {
                return _totals;
            }
        }
    }

    // What the sink is triggered by, for the refusal of any other event.
    private static readonly string Triggers = $"S3Sink is triggered by Kinesis, Kafka or a schedule (an EventBridge scheduled event, source 'aws.events' and detail-type '{LambdaEventSource.ScheduledEvent}', or {{\"action\":\"flush\"}})";

    /// <summary>Handles one event.</summary>
    /// <param name="payload">The event.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The response: no batch item failures (a failure throws), or the flush's counts.</returns>
    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var deadline = InvocationDeadline.Flushes.Of(context);
        var source = LambdaEventSource.Of(payload);
        if (source == LambdaEventSource.EventBridge && LambdaEventSource.DetailTypeOf(payload) is var detailType && detailType != LambdaEventSource.ScheduledEvent)
        {
            throw new ArgumentException($"{Triggers}; this event is from 'aws.events' with detail-type {(detailType is null ? "none" : $"'{detailType}'")}.");
        }

        if ((source == LambdaEventSource.EventBridge ? "due" : source is null ? FlushRequest(payload) : null) is { } flush)
        {
            var (objects, error) = flush == "all"
                ? await sink.FlushAllAsync(deadline, cancellationToken).ConfigureAwait(false)
                : await sink.FlushDueAsync(deadline, cancellationToken).ConfigureAwait(false);
            context.Logger.Info("flushed", new("objects", objects), new("error", error));
            lock (_gate)
            {
                _totals = _totals with { ObjectsWritten = _totals.ObjectsWritten + objects };
            }

            return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?> { ["objects"] = objects.ToString(CultureInfo.InvariantCulture), ["error"] = error }, LambdaEventsJsonContext.Default.DictionaryStringString);
        }

        if (!StreamEventReader.IsStream(source))
        {
            throw new ArgumentException($"{Triggers}; this event's source is {LambdaEventSource.Describe(source)}.");
        }

        SinkResult result;
        using (var batch = StreamEventReader.Read(payload.Span, source))
        {
            result = await sink.WriteAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _totals = (_totals + result) with { FlushError = result.FlushError ?? _totals.FlushError };
        }

        context.Logger.Info("written",
            new("records", result.SourceRecords),
            new("skipped", result.Skipped),
            new("delivered", result.Delivered),
            new("dropped", result.Dropped),
            new("failed", result.Failed),
            new("objects", result.ObjectsWritten),
            new("flushError", result.FlushError));

        // Success means every record is durable; a failure throws, and Lambda retries the whole batch (skipping what is durable).
        return "{\"batchItemFailures\":[]}"u8.ToArray();
    }

    // {"action": "flush"} delivers what is due; {"action": "flush", "all": true} everything; anything else is not a flush request.
    private static string? FlushRequest(ReadOnlyMemory<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            return null;
        }

        using var parsed = document;
        var root = parsed.RootElement;
        return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("action", out var action) && action.ValueEquals("flush")
            ? root.TryGetProperty("all", out var all) && all.ValueKind == JsonValueKind.True ? "all" : "due"
            : null;
    }
}
