namespace StreamFunctions.KinesisApi.Model;

/// <summary>The wire names Kinesis uses for these enums (its JSON API and Lambda's events).</summary>
public static class KinesisWireNames
{
    /// <summary>TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP.</summary>
    public static string ToWire(this ShardIteratorType value) => value switch
    {
        ShardIteratorType.TrimHorizon => "TRIM_HORIZON",
        ShardIteratorType.Latest => "LATEST",
        ShardIteratorType.AtSequenceNumber => "AT_SEQUENCE_NUMBER",
        ShardIteratorType.AfterSequenceNumber => "AFTER_SEQUENCE_NUMBER",
        ShardIteratorType.AtTimestamp => "AT_TIMESTAMP",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown shard iterator type."),
    };

    /// <summary>Parses a wire name of <see cref="ShardIteratorType"/>.</summary>
    public static ShardIteratorType ParseShardIteratorType(string wire) => wire switch
    {
        "TRIM_HORIZON" => ShardIteratorType.TrimHorizon,
        "LATEST" => ShardIteratorType.Latest,
        "AT_SEQUENCE_NUMBER" => ShardIteratorType.AtSequenceNumber,
        "AFTER_SEQUENCE_NUMBER" => ShardIteratorType.AfterSequenceNumber,
        "AT_TIMESTAMP" => ShardIteratorType.AtTimestamp,
        _ => throw new FormatException($"'{wire}' is not a shard iterator type (TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP)."),
    };

    /// <summary>CREATING, DELETING, ACTIVE or UPDATING.</summary>
    public static string ToWire(this StreamStatus value) => value switch
    {
        StreamStatus.Creating => "CREATING",
        StreamStatus.Deleting => "DELETING",
        StreamStatus.Active => "ACTIVE",
        StreamStatus.Updating => "UPDATING",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown stream status."),
    };

    /// <summary>Parses a wire name of <see cref="StreamStatus"/>.</summary>
    public static StreamStatus ParseStreamStatus(string wire) => wire switch
    {
        "CREATING" => StreamStatus.Creating,
        "DELETING" => StreamStatus.Deleting,
        "ACTIVE" => StreamStatus.Active,
        "UPDATING" => StreamStatus.Updating,
        _ => throw new FormatException($"'{wire}' is not a stream status (CREATING, DELETING, ACTIVE, UPDATING)."),
    };

    /// <summary>NONE or KMS.</summary>
    public static string ToWire(this EncryptionType value) => value == EncryptionType.Kms ? "KMS" : "NONE";

    /// <summary>Parses NONE or KMS.</summary>
    public static EncryptionType ParseEncryptionType(string wire) => wire switch
    {
        "NONE" => EncryptionType.None,
        "KMS" => EncryptionType.Kms,
        _ => throw new FormatException($"'{wire}' is not an encryption type (NONE, KMS)."),
    };

    /// <summary>AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP or FROM_TIMESTAMP.</summary>
    public static string ToWire(this ShardFilterType value) => value switch
    {
        ShardFilterType.AfterShardId => "AFTER_SHARD_ID",
        ShardFilterType.AtTrimHorizon => "AT_TRIM_HORIZON",
        ShardFilterType.FromTrimHorizon => "FROM_TRIM_HORIZON",
        ShardFilterType.AtLatest => "AT_LATEST",
        ShardFilterType.AtTimestamp => "AT_TIMESTAMP",
        ShardFilterType.FromTimestamp => "FROM_TIMESTAMP",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown shard filter type."),
    };
}
