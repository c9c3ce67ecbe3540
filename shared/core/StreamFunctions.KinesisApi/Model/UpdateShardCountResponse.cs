namespace StreamFunctions.KinesisApi.Model;

/// <summary>UpdateShardCount's result.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="CurrentShardCount">The open shard count before the change.</param>
/// <param name="TargetShardCount">The open shard count asked for.</param>
public sealed record UpdateShardCountResponse(string StreamName, int CurrentShardCount, int TargetShardCount);
