namespace StreamFunctions.KinesisApi.Model;

/// <summary>PutRecord's result.</summary>
/// <param name="ShardId">The shard written.</param>
/// <param name="SequenceNumber">The record's sequence number.</param>
public sealed record PutRecordResponse(string ShardId, string SequenceNumber);
