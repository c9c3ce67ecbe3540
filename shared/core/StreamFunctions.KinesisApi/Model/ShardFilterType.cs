namespace StreamFunctions.KinesisApi.Model;

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
