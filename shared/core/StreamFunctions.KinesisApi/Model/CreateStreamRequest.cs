namespace StreamFunctions.KinesisApi.Model;

/// <summary>CreateStream: a provisioned stream with <paramref name="ShardCount"/> shards.</summary>
/// <param name="StreamName">1–128 characters of <c>[a-zA-Z0-9_.-]</c>.</param>
/// <param name="ShardCount">At least 1.</param>
public sealed record CreateStreamRequest(string StreamName, int ShardCount);
