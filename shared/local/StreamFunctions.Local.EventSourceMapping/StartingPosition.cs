namespace StreamFunctions.Local.EventSourceMapping;

/// <summary>Where an event source mapping starts reading a shard that has no checkpoint (Lambda's <c>StartingPosition</c>).</summary>
/// <remarks>Child shards created by resharding always start at their trim horizon, whatever this says, as on Lambda.</remarks>
public enum StartingPosition
{
    /// <summary>TRIM_HORIZON: the oldest record the stream keeps.</summary>
    TrimHorizon,

    /// <summary>LATEST: only records written after the mapping first reads the shard.</summary>
    Latest,

    /// <summary>AT_TIMESTAMP: the first record that arrived at or after <see cref="KinesisEventSourceOptions.StartingPositionTimestamp"/>.</summary>
    AtTimestamp,
}
