using StreamFunctions.KinesisApi;

namespace StreamFunctions.Records.Kpl;

/// <summary>
/// The KPL aggregated record format (awslabs/amazon-kinesis-producer, aggregation-format.md) and the
/// Kinesis limits that bound it: the magic number <c>F3 89 9A C2</c>, a protobuf <c>AggregatedRecord</c>,
/// then the 16-byte MD5 of the protobuf bytes.
/// </summary>
public static class KplFormat
{
    /// <summary>The size of the trailing MD5 checksum.</summary>
    public const int ChecksumSize = 16;

    /// <summary>The bytes an aggregate adds around its protobuf message: the magic number and the checksum.</summary>
    public const int Overhead = 4 + ChecksumSize;

    /// <summary>The most a Kinesis record may hold, data plus partition key: 1 MiB.</summary>
    public const int MaxKinesisRecordSize = KinesisLimits.MaxRecordBytes;

    /// <summary>The longest partition key Kinesis takes, in characters.</summary>
    public const int MaxPartitionKeyLength = KinesisLimits.MaxPartitionKeyLength;

    /// <summary>The magic number that opens every aggregated record.</summary>
    public static ReadOnlySpan<byte> Magic => [0xF3, 0x89, 0x9A, 0xC2];

    /// <summary>Whether <paramref name="data"/> starts with the magic number, so de-aggregation treats it as an aggregate.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> data) => data.StartsWith(Magic);
}
