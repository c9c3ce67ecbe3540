namespace StreamFunctions.KinesisApi.Model;

/// <summary>PutRecords: up to 500 entries and 5 MiB in all.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="Records">The entries, written in order per shard.</param>
public sealed record PutRecordsRequest(string StreamName, IReadOnlyList<PutRecordsRequestEntry> Records);

/// <summary>One record of a PutRecords request.</summary>
/// <param name="Data">The payload.</param>
/// <param name="PartitionKey">1–256 Unicode characters.</param>
/// <param name="ExplicitHashKey">A 128-bit decimal hash key, or null.</param>
public sealed record PutRecordsRequestEntry(ReadOnlyMemory<byte> Data, string PartitionKey, string? ExplicitHashKey = null);
