namespace StreamFunctions.KinesisApi.Model;

/// <summary>ListShards. Give either <paramref name="StreamName"/> or <paramref name="NextToken"/>, as Kinesis requires.</summary>
/// <param name="StreamName">The stream (first page).</param>
/// <param name="NextToken">The token of the previous page.</param>
/// <param name="ExclusiveStartShardId">List shards after this id (first page only).</param>
/// <param name="MaxResults">Page size, 1–10,000 (Kinesis's default is 1,000).</param>
/// <param name="ShardFilter">Which shards to list (first page only).</param>
public sealed record ListShardsRequest(
    string? StreamName = null,
    string? NextToken = null,
    string? ExclusiveStartShardId = null,
    int? MaxResults = null,
    ShardFilter? ShardFilter = null);

/// <summary>The ListShards filter.</summary>
/// <param name="Type">What to list.</param>
/// <param name="ShardId">For <see cref="ShardFilterType.AfterShardId"/>.</param>
/// <param name="Timestamp">For the timestamp filters.</param>
public sealed record ShardFilter(ShardFilterType Type, string? ShardId = null, DateTimeOffset? Timestamp = null);
