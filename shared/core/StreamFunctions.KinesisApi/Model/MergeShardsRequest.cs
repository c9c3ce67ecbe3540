namespace StreamFunctions.KinesisApi.Model;

/// <summary>MergeShards.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="ShardToMerge">An open shard.</param>
/// <param name="AdjacentShardToMerge">An open shard whose range is adjacent to it.</param>
public sealed record MergeShardsRequest(string StreamName, string ShardToMerge, string AdjacentShardToMerge);
