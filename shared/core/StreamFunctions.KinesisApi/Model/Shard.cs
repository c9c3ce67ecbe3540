namespace StreamFunctions.KinesisApi.Model;

/// <summary>A shard and its lineage.</summary>
/// <param name="ShardId">Its id, <c>shardId-000000000000</c> style.</param>
/// <param name="ParentShardId">The shard it was split from, or the first of the two it was merged from.</param>
/// <param name="AdjacentParentShardId">The second shard of a merge.</param>
/// <param name="HashKeyRange">The hash keys it owns.</param>
/// <param name="SequenceNumberRange">Its first sequence number, and its last once closed.</param>
public sealed record Shard(
    string ShardId,
    string? ParentShardId,
    string? AdjacentParentShardId,
    HashKeyRange HashKeyRange,
    SequenceNumberRange SequenceNumberRange)
{
    /// <summary>Whether the shard still takes writes (no ending sequence number yet).</summary>
    public bool IsOpen => SequenceNumberRange.EndingSequenceNumber is null;
}

/// <summary>A contiguous range of 128-bit hash keys, both ends included.</summary>
/// <param name="StartingHashKey">The first hash key.</param>
/// <param name="EndingHashKey">The last hash key.</param>
public readonly record struct HashKeyRange(UInt128 StartingHashKey, UInt128 EndingHashKey)
{
    /// <summary>Whether <paramref name="hashKey"/> falls in the range.</summary>
    public bool Contains(UInt128 hashKey) => hashKey >= StartingHashKey && hashKey <= EndingHashKey;
}

/// <summary>A shard's sequence numbers.</summary>
/// <param name="StartingSequenceNumber">The first.</param>
/// <param name="EndingSequenceNumber">The last, once the shard is closed; null while open.</param>
public sealed record SequenceNumberRange(string StartingSequenceNumber, string? EndingSequenceNumber);
