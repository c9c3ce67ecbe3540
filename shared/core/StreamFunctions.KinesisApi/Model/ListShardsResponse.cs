namespace StreamFunctions.KinesisApi.Model;

/// <summary>A page of ListShards.</summary>
/// <param name="Shards">The shards of this page, in shard id order.</param>
/// <param name="NextToken">The next page's token, or null on the last page.</param>
public sealed record ListShardsResponse(IReadOnlyList<Shard> Shards, string? NextToken);
