using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.Sqs;

namespace StreamFunctions.BatchProcessing;

/// <summary>Turns Lambda events into batches for <see cref="BatchProcessor"/>, and processes them.</summary>
public static class EventBatches
{
    /// <summary>A Kinesis event: identified by sequence number, ordered per partition key.</summary>
    /// <exception cref="ArgumentException">The records or a record are null (JSON null), or a record has no sequence number.</exception>
    /// <param name="evnt">The event.</param>
    /// <returns>The batch.</returns>
    public static IReadOnlyList<BatchRecord<KinesisEventRecord>> From(KinesisEvent evnt)
    {
        ArgumentNullException.ThrowIfNull(evnt);
        return [.. NotNull(evnt.Records, "Records").Select(r => new BatchRecord<KinesisEventRecord>(
            NotNull(r, "a record"),
            r.Kinesis?.SequenceNumber ?? throw new ArgumentException("A Kinesis record has no sequenceNumber.", nameof(evnt)),
            r.Kinesis.PartitionKey,
            r.EventSourceArn ?? "kinesis",
            r.EventId is { } id && id.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 ? id[..colon] : null,
            r.Kinesis.Data))];
    }

    /// <summary>A Kafka event: identified by offset, ordered per topic-partition (Lambda's unit of ordering for Kafka).</summary>
    /// <exception cref="ArgumentException">The records, a partition's list or a record are null (JSON null).</exception>
    /// <param name="evnt">The event.</param>
    /// <returns>The batch.</returns>
    public static IReadOnlyList<BatchRecord<KafkaEventRecord>> From(KafkaEvent evnt)
    {
        ArgumentNullException.ThrowIfNull(evnt);
        return [.. NotNull(evnt.Records, "Records").SelectMany(p => NotNull(p.Value, $"the records of {p.Key}").Select(r => new BatchRecord<KafkaEventRecord>(
            NotNull(r, $"a record of {p.Key}"),
            r.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture),
            p.Key,
            evnt.EventSourceArn ?? r.Topic ?? "kafka",
            p.Key,
            r.Value ?? ReadOnlyMemory<byte>.Empty)))];
    }

    /// <summary>An SQS event: identified by message id, unordered.</summary>
    /// <exception cref="ArgumentException">The records or a message are null (JSON null), or a message has no message id.</exception>
    /// <param name="evnt">The event.</param>
    /// <returns>The batch.</returns>
    public static IReadOnlyList<BatchRecord<SQSMessage>> From(SQSEvent evnt)
    {
        ArgumentNullException.ThrowIfNull(evnt);
        return [.. NotNull(evnt.Records, "Records").Select(m => new BatchRecord<SQSMessage>(
            NotNull(m, "a message"),
            m.MessageId ?? throw new ArgumentException("An SQS message has no messageId.", nameof(evnt)),
            null,
            m.EventSourceArn ?? "sqs",
            null,
            System.Text.Encoding.UTF8.GetBytes(m.Body ?? string.Empty)))];
    }

    /// <summary>Processes a Kinesis event, in order per partition key.</summary>
    /// <param name="processor">The processor.</param>
    /// <param name="evnt">The event.</param>
    /// <param name="handler">The per-record handler.</param>
    /// <param name="cancellationToken">Stops processing.</param>
    /// <returns>The result; return <c>Response</c> to Lambda.</returns>
    public static Task<BatchResult> ProcessAsync(this BatchProcessor processor, KinesisEvent evnt, Func<KinesisEventRecord, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(processor);
        return processor.ProcessAsync(From(evnt), handler, BatchOrdering.PerKeyOrdered, cancellationToken);
    }

    /// <summary>Processes a Kafka event, in order per topic-partition.</summary>
    /// <param name="processor">The processor.</param>
    /// <param name="evnt">The event.</param>
    /// <param name="handler">The per-record handler.</param>
    /// <param name="cancellationToken">Stops processing.</param>
    /// <returns>The result.</returns>
    public static Task<BatchResult> ProcessAsync(this BatchProcessor processor, KafkaEvent evnt, Func<KafkaEventRecord, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(processor);
        return processor.ProcessAsync(From(evnt), handler, BatchOrdering.PerKeyOrdered, cancellationToken);
    }

    /// <summary>Processes an SQS event, each message on its own.</summary>
    /// <param name="processor">The processor.</param>
    /// <param name="evnt">The event.</param>
    /// <param name="handler">The per-record handler.</param>
    /// <param name="cancellationToken">Stops processing.</param>
    /// <returns>The result.</returns>
    public static Task<BatchResult> ProcessAsync(this BatchProcessor processor, SQSEvent evnt, Func<SQSMessage, CancellationToken, ValueTask> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(processor);
        return processor.ProcessAsync(From(evnt), handler, BatchOrdering.Unordered, cancellationToken);
    }

    // A JSON null where the event's shape promises a value.
    private static T NotNull<T>(T? value, string what)
        where T : class =>
        value ?? throw new ArgumentException($"The event's {what} is null.");
}
