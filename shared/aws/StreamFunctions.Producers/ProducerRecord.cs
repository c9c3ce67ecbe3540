namespace StreamFunctions.Producers;

/// <summary>A record to write.</summary>
/// <param name="Data">The payload.</param>
/// <param name="PartitionKey">The partition key (Kinesis) or message key (Kafka).</param>
/// <param name="ExplicitHashKey">Kinesis only: a 128-bit decimal hash key that overrides the partition key's placement.</param>
public sealed record ProducerRecord(ReadOnlyMemory<byte> Data, string PartitionKey, string? ExplicitHashKey = null);
