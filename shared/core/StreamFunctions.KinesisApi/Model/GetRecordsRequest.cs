namespace StreamFunctions.KinesisApi.Model;

/// <summary>GetRecords.</summary>
/// <param name="ShardIterator">An iterator from GetShardIterator or the previous GetRecords.</param>
/// <param name="Limit">At most this many records, 1–10,000 (the default).</param>
public sealed record GetRecordsRequest(string ShardIterator, int? Limit = null);
