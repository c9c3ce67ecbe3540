namespace StreamFunctions.KinesisApi.Model;

/// <summary>PutRecords' result: one entry per request entry, in order.</summary>
/// <param name="FailedRecordCount">How many entries failed.</param>
/// <param name="Records">The entries' outcomes.</param>
public sealed record PutRecordsResponse(int FailedRecordCount, IReadOnlyList<PutRecordsResultEntry> Records);

/// <summary>One PutRecords outcome: a shard and sequence number, or an error code and message.</summary>
/// <param name="ShardId">The shard written, on success.</param>
/// <param name="SequenceNumber">The sequence number, on success.</param>
/// <param name="ErrorCode">On failure: <see cref="KinesisErrorCodes.ProvisionedThroughputExceeded"/> or <see cref="KinesisErrorCodes.InternalFailure"/>.</param>
/// <param name="ErrorMessage">On failure, Kinesis's message.</param>
public sealed record PutRecordsResultEntry(string? ShardId, string? SequenceNumber, string? ErrorCode = null, string? ErrorMessage = null)
{
    /// <summary>Whether the record was written.</summary>
    public bool Succeeded => ErrorCode is null;
}
