namespace StreamFunctions.KinesisApi.Model;

/// <summary>UpdateShardCount with UNIFORM_SCALING, the only scaling type Kinesis has.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="TargetShardCount">The open shard count wanted.</param>
public sealed record UpdateShardCountRequest(string StreamName, int TargetShardCount);
