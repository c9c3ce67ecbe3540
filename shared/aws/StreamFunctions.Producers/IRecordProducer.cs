namespace StreamFunctions.Producers;

/// <summary>
/// What happened to one record, in the shape of a PutRecords result entry: where it was written, or the
/// error that stopped it.
/// </summary>
public sealed record ProduceResult
{
    /// <summary>Kinesis: the shard written.</summary>
    public string? ShardId { get; init; }

    /// <summary>Kinesis: the sequence number (of the aggregated Kinesis record, when aggregated).</summary>
    public string? SequenceNumber { get; init; }

    /// <summary>Kinesis, aggregated: the record's index inside its aggregate (the KPL's sub-sequence number).</summary>
    public int? SubSequenceNumber { get; init; }

    /// <summary>Kafka: the partition written.</summary>
    public int? Partition { get; init; }

    /// <summary>Kafka: the offset.</summary>
    public long? Offset { get; init; }

    /// <summary>The error code when the record was not written, e.g. <c>ProvisionedThroughputExceededException</c>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The error message.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>How many times the record was sent.</summary>
    public int Attempts { get; init; }

    /// <summary>Whether the record was written.</summary>
    public bool Succeeded => ErrorCode is null;

    /// <summary>A failure.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">The message.</param>
    /// <param name="attempts">How many times the record was sent.</param>
    /// <returns>The result.</returns>
    public static ProduceResult Failed(string code, string message, int attempts) => new() { ErrorCode = code, ErrorMessage = message, Attempts = attempts };
}

/// <summary>
/// Writes records to one destination and says, per record, what happened. Nothing is dropped silently:
/// every input record has exactly one result, in input order.
/// </summary>
public interface IRecordProducer
{
    /// <summary>The destination, e.g. <c>kinesis:clicks</c> or <c>kafka:clicks</c>.</summary>
    string Destination { get; }

    /// <summary>Writes the records, retrying what fails transiently until <paramref name="deadline"/>.</summary>
    /// <param name="records">The records, in order.</param>
    /// <param name="deadline">When to stop retrying and report what is still unwritten as failed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One result per record, in order.</returns>
    Task<IReadOnlyList<ProduceResult>> ProduceAsync(IReadOnlyList<ProducerRecord> records, DateTimeOffset deadline, CancellationToken cancellationToken = default);
}

/// <summary>The error codes a producer reports besides the destination's own.</summary>
public static class ProduceErrorCodes
{
    /// <summary>The record was not sent because an earlier record with the same partition key failed (order is kept).</summary>
    public const string BlockedByEarlierFailure = "BlockedByEarlierFailure";

    /// <summary>The deadline came before the record could be sent (again).</summary>
    public const string DeadlineExceeded = "DeadlineExceeded";

    /// <summary>The record's outcome is unknown (the call timed out or the connection broke after sending): it may have been written.</summary>
    public const string OutcomeUnknown = "RequestOutcomeUnknown";

    /// <summary>The record is invalid for the destination.</summary>
    public const string InvalidRecord = "InvalidRecord";
}
