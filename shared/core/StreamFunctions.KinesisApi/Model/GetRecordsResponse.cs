namespace StreamFunctions.KinesisApi.Model;

/// <summary>GetRecords' result.</summary>
/// <param name="Records">The records, in sequence order.</param>
/// <param name="NextShardIterator">Where to read next; null once a closed shard has been read to its end.</param>
/// <param name="MillisBehindLatest">How far behind the shard's tip the read is.</param>
/// <param name="ChildShards">At the end of a closed shard, the shards that continue it.</param>
public sealed record GetRecordsResponse(
    IReadOnlyList<KinesisRecord> Records,
    string? NextShardIterator,
    long MillisBehindLatest,
    IReadOnlyList<ChildShard>? ChildShards = null);

/// <summary>A shard that continues a closed one.</summary>
/// <param name="ShardId">The child.</param>
/// <param name="ParentShards">Its parents (one after a split, two after a merge).</param>
/// <param name="HashKeyRange">The child's hash keys.</param>
public sealed record ChildShard(string ShardId, IReadOnlyList<string> ParentShards, HashKeyRange HashKeyRange);
