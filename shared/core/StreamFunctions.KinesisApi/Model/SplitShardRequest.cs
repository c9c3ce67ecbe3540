namespace StreamFunctions.KinesisApi.Model;

/// <summary>SplitShard.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="ShardToSplit">An open shard.</param>
/// <param name="NewStartingHashKey">The first hash key of the upper child; strictly inside the shard's range.</param>
public sealed record SplitShardRequest(string StreamName, string ShardToSplit, UInt128 NewStartingHashKey);
