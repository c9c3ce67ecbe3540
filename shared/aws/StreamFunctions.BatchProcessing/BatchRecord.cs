namespace StreamFunctions.BatchProcessing;

/// <summary>How a batch's failures are reported.</summary>
public enum BatchOrdering
{
    /// <summary>
    /// Kinesis and Kafka: Lambda resumes at the lowest failed record, so within a partition key processing
    /// stops at the first failure (later records of that key are left for redelivery) and that record is reported.
    /// </summary>
    PerKeyOrdered,

    /// <summary>SQS standard queues: every record stands alone; each failed one is reported.</summary>
    Unordered,
}

/// <summary>One record of a batch, as the processor sees it.</summary>
/// <typeparam name="T">The event's record type.</typeparam>
/// <param name="Record">The record.</param>
/// <param name="ItemIdentifier">What <c>batchItemFailures</c> names it by (sequence number, offset, message id).</param>
/// <param name="OrderingKey">The partition key (or Kafka partition) order is kept within; null for unordered sources.</param>
/// <param name="Source">Stream, topic or queue, for the archive.</param>
/// <param name="Partition">Shard or partition, for the archive.</param>
/// <param name="Payload">The record's bytes, for the archive.</param>
public sealed record BatchRecord<T>(T Record, string ItemIdentifier, string? OrderingKey, string Source, string? Partition, ReadOnlyMemory<byte> Payload);

/// <summary>What happened to one record.</summary>
public enum RecordOutcome
{
    /// <summary>The handler succeeded.</summary>
    Succeeded,

    /// <summary>Poison: archived and counted as processed.</summary>
    Archived,

    /// <summary>Failed and reported in <c>batchItemFailures</c>.</summary>
    Failed,

    /// <summary>Not processed: an earlier record of its key failed, so Lambda redelivers it.</summary>
    Skipped,
}

/// <summary>The outcome of a batch.</summary>
/// <param name="Response">The response to return to Lambda.</param>
/// <param name="Outcomes">Each record's outcome, in batch order.</param>
public sealed record BatchResult(Lambda.Events.StreamsEventResponse Response, IReadOnlyList<RecordOutcome> Outcomes)
{
    /// <summary>Records processed by the handler.</summary>
    public int Succeeded => Outcomes.Count(o => o == RecordOutcome.Succeeded);

    /// <summary>Poison records archived.</summary>
    public int Archived => Outcomes.Count(o => o == RecordOutcome.Archived);

    /// <summary>Records reported as failed.</summary>
    public int Failed => Outcomes.Count(o => o == RecordOutcome.Failed);

    /// <summary>Records left for redelivery behind a failure of their key.</summary>
    public int Skipped => Outcomes.Count(o => o == RecordOutcome.Skipped);
}
