namespace StreamFunctions.Local.EventSourceMapping.Destinations;

/// <summary>
/// Where the runner sends the record of a batch it discards (Lambda's on-failure destination of an
/// event source mapping: SQS, SNS, S3). The record names the shard and sequence range, not the data.
/// </summary>
public interface IOnFailureDestination
{
    /// <summary>Stores the record of one discarded batch. Throwing stops the shard at that batch, so nothing is lost.</summary>
    Task SendAsync(OnFailureRecord record, CancellationToken cancellationToken = default);
}

/// <summary>Why a batch was discarded: <c>requestContext.condition</c>.</summary>
public static class OnFailureConditions
{
    /// <summary>The batch failed on its first attempt and every retry (<c>MaximumRetryAttempts</c>).</summary>
    public const string RetryAttemptsExhausted = "RetryAttemptsExhausted";

    /// <summary>The records were older than <c>MaximumRecordAgeInSeconds</c> when their turn came.</summary>
    public const string RecordAgeExceeded = "RecordAgeExceeded";
}

/// <summary>
/// The invocation record Lambda writes for a discarded Kinesis batch, field for field
/// (docs: lambda/latest/dg/kinesis-on-failure-destination).
/// </summary>
/// <param name="RequestContext">The last invocation's request id, the function, why, and how many invocations the batch had.</param>
/// <param name="ResponseContext">The last invocation's outcome.</param>
/// <param name="Timestamp">When the batch was discarded.</param>
/// <param name="KinesisBatchInfo">Where the discarded records are in the stream.</param>
/// <param name="Payload">The last event sent for the batch (UTF-8 JSON), which S3 destinations include as <c>payload</c>; null if never invoked.</param>
public sealed record OnFailureRecord(
    OnFailureRequestContext RequestContext,
    OnFailureResponseContext ResponseContext,
    DateTimeOffset Timestamp,
    KinesisBatchInfo KinesisBatchInfo,
    ReadOnlyMemory<byte>? Payload = null)
{
    /// <summary>The record format's version: <c>1.0</c>.</summary>
    public string Version { get; init; } = "1.0";
}

/// <summary><c>requestContext</c> of an on-failure record.</summary>
/// <param name="RequestId">The last invocation's request id (a new id when the batch was never invoked).</param>
/// <param name="FunctionArn">The function.</param>
/// <param name="Condition">One of <see cref="OnFailureConditions"/>.</param>
/// <param name="ApproximateInvokeCount">How many times the batch was invoked.</param>
public sealed record OnFailureRequestContext(string RequestId, string FunctionArn, string Condition, int ApproximateInvokeCount);

/// <summary><c>responseContext</c> of an on-failure record.</summary>
/// <param name="StatusCode">The last invocation's status code (0 when never invoked).</param>
/// <param name="ExecutedVersion">The version that ran (null when never invoked).</param>
/// <param name="FunctionError">The last invocation's function error, e.g. <c>Unhandled</c> (null when none).</param>
public sealed record OnFailureResponseContext(int StatusCode, string? ExecutedVersion, string? FunctionError);

/// <summary><c>KinesisBatchInfo</c> of an on-failure record.</summary>
/// <param name="ShardId">The shard.</param>
/// <param name="StartSequenceNumber">The first discarded record.</param>
/// <param name="EndSequenceNumber">The last discarded record.</param>
/// <param name="ApproximateArrivalOfFirstRecord">When the first arrived.</param>
/// <param name="ApproximateArrivalOfLastRecord">When the last arrived.</param>
/// <param name="BatchSize">How many records were discarded.</param>
/// <param name="StreamArn">The stream.</param>
public sealed record KinesisBatchInfo(
    string ShardId,
    string StartSequenceNumber,
    string EndSequenceNumber,
    DateTimeOffset ApproximateArrivalOfFirstRecord,
    DateTimeOffset ApproximateArrivalOfLastRecord,
    int BatchSize,
    string StreamArn);
