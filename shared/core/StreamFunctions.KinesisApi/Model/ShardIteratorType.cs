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
