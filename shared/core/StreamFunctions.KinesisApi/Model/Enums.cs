namespace StreamFunctions.KinesisApi.Model;

/// <summary>Where a shard iterator starts.</summary>
public enum ShardIteratorType
{
    /// <summary>TRIM_HORIZON: the oldest record kept.</summary>
    TrimHorizon,

    /// <summary>LATEST: just after the newest record, so only new records are read.</summary>
    Latest,

    /// <summary>AT_SEQUENCE_NUMBER: at the given record.</summary>
    AtSequenceNumber,

    /// <summary>AFTER_SEQUENCE_NUMBER: just after the given record.</summary>
    AfterSequenceNumber,

    /// <summary>AT_TIMESTAMP: the first record that arrived at or after the given time.</summary>
    AtTimestamp,
}

/// <summary>A stream's status.</summary>
public enum StreamStatus
{
    /// <summary>CREATING.</summary>
    Creating,

    /// <summary>DELETING.</summary>
    Deleting,

    /// <summary>ACTIVE: reads and writes work.</summary>
    Active,

    /// <summary>UPDATING: resharding; reads and writes still work.</summary>
    Updating,
}

/// <summary>Server-side encryption of a stream's records.</summary>
public enum EncryptionType
{
    /// <summary>NONE.</summary>
    None,

    /// <summary>KMS.</summary>
    Kms,
}

/// <summary>The ListShards filter types.</summary>
public enum ShardFilterType
{
    /// <summary>AFTER_SHARD_ID: shards after the given id.</summary>
    AfterShardId,

    /// <summary>AT_TRIM_HORIZON: shards open at the trim horizon.</summary>
    AtTrimHorizon,

    /// <summary>FROM_TRIM_HORIZON: every shard kept, open or closed.</summary>
    FromTrimHorizon,

    /// <summary>AT_LATEST: open shards only.</summary>
    AtLatest,

    /// <summary>AT_TIMESTAMP: shards open at the given time.</summary>
    AtTimestamp,

    /// <summary>FROM_TIMESTAMP: shards open at or after the given time.</summary>
    FromTimestamp,
}

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
