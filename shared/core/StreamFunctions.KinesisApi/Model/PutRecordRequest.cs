namespace StreamFunctions.KinesisApi.Model;

/// <summary>PutRecord.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="Data">The payload, at most 1 MiB with the partition key.</param>
/// <param name="PartitionKey">1–256 Unicode characters; its MD5 picks the shard.</param>
/// <param name="ExplicitHashKey">A 128-bit decimal hash key that picks the shard instead.</param>
/// <param name="SequenceNumberForOrdering">Orders this record after that sequence number for the same partition key.</param>
public sealed record PutRecordRequest(
    string StreamName,
    ReadOnlyMemory<byte> Data,
    string PartitionKey,
    string? ExplicitHashKey = null,
    string? SequenceNumberForOrdering = null);
