namespace StreamFunctions.KinesisApi.Model;

/// <summary>GetShardIterator's result.</summary>
/// <param name="ShardIterator">An opaque iterator, valid for 5 minutes.</param>
public sealed record GetShardIteratorResponse(string ShardIterator);
