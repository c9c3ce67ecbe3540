using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Router;

/// <summary>
/// The router function's handler, triggered by a Kinesis stream or a Kafka topic (MSK or self-managed); <c>functions/Router</c>
/// builds it from its environment:
/// <list type="bullet">
/// <item><c>ROUTER_RULES</c> (the rules as JSON), <c>ROUTER_RULES_FILE</c> (a file with them, relative to the function's folder),
/// or <c>BRIDGE_TO</c> (comma-separated destinations every record is copied to with its own key).</item>
/// <item>Kinesis destinations: <c>KINESIS_AGGREGATE</c> (<c>true</c> for KPL aggregation per shard).</item>
/// <item>Kafka destinations: <c>KAFKA_BOOTSTRAP_SERVERS</c>, <c>KAFKA_COMPRESSION</c>, <c>KAFKA_PROPERTIES</c> (<c>name=value;…</c>).</item>
/// <item>Poison records: <c>DLQ_BUCKET</c> and <c>DLQ_PREFIX</c> (default <c>dlq</c>); without them poison records fail.</item>
/// </list>
/// </summary>
public sealed class RouterFunction(StreamRouter router)
{
    /// <summary>Handles one Kinesis or Kafka event: routes every record, and answers the batch's item failures.</summary>
    /// <param name="payload">The event.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The response: <c>batchItemFailures</c>.</returns>
    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        var deadline = InvocationDeadline.Retries.Of(context);
        RouterResult result;
        byte[] response;
        var source = LambdaEventSource.Of(payload);
        if (!StreamEventReader.IsStream(source))
        {
            throw new ArgumentException($"Router is triggered by Kinesis or Kafka; this event's source is {LambdaEventSource.Describe(source)}.");
        }

        using (var batch = StreamEventReader.Read(payload.Span, source))
        {
            try
            {
                result = await router.RouteAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
            }
            catch (RouterBatchFailedException e)
            {
                Log(context, e.Result);
                throw;
            }

            response = batch.Kind == StreamSourceKind.Kinesis
                ? JsonSerializer.SerializeToUtf8Bytes(result.Response, LambdaEventsJsonContext.Default.StreamsEventResponse)
                : "{}"u8.ToArray();
        }

        Log(context, result);
        return response;
    }

    private static void Log(ILambdaContext context, RouterResult result) => context.Logger.Info("routed",
        new KeyValuePair<string, object?>("records", result.SourceRecords),
        new KeyValuePair<string, object?>("userRecords", result.UserRecords),
        new KeyValuePair<string, object?>("written", result.Written),
        new KeyValuePair<string, object?>("unmatched", result.Unmatched),
        new KeyValuePair<string, object?>("archived", result.Archived),
        new KeyValuePair<string, object?>("failed", result.Failed),
        new KeyValuePair<string, object?>("skipped", result.Skipped),
        new KeyValuePair<string, object?>("firstError", result.FirstError));
}
