namespace StreamFunctions.KinesisApi.Model;

/// <summary>GetShardIterator.</summary>
/// <param name="StreamName">The stream: its name, or its ARN (Kinesis's <c>StreamARN</c>, which also reaches a stream another account shares).</param>
/// <param name="ShardId">The shard.</param>
/// <param name="ShardIteratorType">Where to start.</param>
/// <param name="StartingSequenceNumber">For AT_ and AFTER_SEQUENCE_NUMBER.</param>
/// <param name="Timestamp">For AT_TIMESTAMP.</param>
public sealed record GetShardIteratorRequest(
    string StreamName,
    string ShardId,
    ShardIteratorType ShardIteratorType,
    string? StartingSequenceNumber = null,
    DateTimeOffset? Timestamp = null);
