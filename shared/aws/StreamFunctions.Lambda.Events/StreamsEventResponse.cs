using System.Text.Json.Serialization;

namespace StreamFunctions.Lambda.Events;

/// <summary>
/// The partial-batch response of a Kinesis, DynamoDB Streams or SQS function with
/// <c>ReportBatchItemFailures</c>: the records to retry, by sequence number (streams) or message id (SQS).
/// An empty list means the whole batch succeeded.
/// </summary>
public sealed class StreamsEventResponse
{
    /// <summary>The failed records.</summary>
    [JsonPropertyName("batchItemFailures")]
    public IList<BatchItemFailure> BatchItemFailures { get; set; } = [];
}

/// <summary>One failed record of a batch.</summary>
public sealed class BatchItemFailure
{
    /// <summary>The record's sequence number (Kinesis, DynamoDB Streams) or message id (SQS).</summary>
    [JsonPropertyName("itemIdentifier")]
    public string? ItemIdentifier { get; set; }
}
