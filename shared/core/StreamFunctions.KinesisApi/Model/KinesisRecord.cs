namespace StreamFunctions.KinesisApi.Model;

/// <summary>A record as GetRecords returns it.</summary>
/// <param name="SequenceNumber">Its sequence number, unique and increasing within the shard.</param>
/// <param name="ApproximateArrivalTimestamp">When Kinesis accepted it.</param>
/// <param name="Data">The payload (may be KPL-aggregated).</param>
/// <param name="PartitionKey">Its partition key.</param>
/// <param name="EncryptionType">NONE or KMS.</param>
public sealed record KinesisRecord(
    string SequenceNumber,
    DateTimeOffset ApproximateArrivalTimestamp,
    ReadOnlyMemory<byte> Data,
    string PartitionKey,
    EncryptionType EncryptionType = EncryptionType.None);
