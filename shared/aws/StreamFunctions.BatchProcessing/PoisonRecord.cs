namespace StreamFunctions.BatchProcessing;

/// <summary>
/// A record that can never be processed, with its payload and where it came from, for the DLQ archive.
/// The payload is kept (not only a pointer): AWS's on-failure records hold shard and sequence ranges that
/// expire with the stream's retention.
/// </summary>
/// <param name="Source">The stream, topic or queue ARN (or name).</param>
/// <param name="Partition">The shard id, Kafka partition or queue; null when unknown.</param>
/// <param name="Position">The sequence number, offset or message id.</param>
/// <param name="PartitionKey">The partition key or Kafka key, if any.</param>
/// <param name="Payload">The record's bytes.</param>
/// <param name="ErrorType">The exception type that made it poison.</param>
/// <param name="ErrorMessage">The exception message.</param>
/// <param name="Reason"><c>Poison</c> (the handler rejected it) or <c>RetryBudgetExhausted</c>.</param>
/// <param name="Attempts">How many times the handler ran on it.</param>
/// <param name="FunctionVersion">The function version that failed it, if known.</param>
/// <param name="FailedAt">When.</param>
public sealed record PoisonRecord(
    string Source,
    string? Partition,
    string Position,
    string? PartitionKey,
    ReadOnlyMemory<byte> Payload,
    string ErrorType,
    string ErrorMessage,
    string Reason,
    int Attempts,
    string? FunctionVersion,
    DateTimeOffset FailedAt);

/// <summary>Where poison records go (the DLQ archive). Must be durable before it returns: the record is then reported as processed.</summary>
public interface IPoisonRecordArchive
{
    /// <summary>Stores a poison record.</summary>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes once the record is stored.</returns>
    Task ArchiveAsync(PoisonRecord record, CancellationToken cancellationToken = default);
}
