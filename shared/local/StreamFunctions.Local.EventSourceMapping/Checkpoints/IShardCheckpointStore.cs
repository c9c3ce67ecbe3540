namespace StreamFunctions.Local.EventSourceMapping.Checkpoints;

/// <summary>
/// Where an event source mapping keeps, per shard, how far it has processed. The runner never
/// writes a position past a record that was neither processed nor discarded to the on-failure
/// destination. In memory by default (<see cref="InMemoryShardCheckpointStore"/>); a lease table
/// can back it so another runner resumes where this one stopped.
/// </summary>
public interface IShardCheckpointStore
{
    /// <summary>The checkpoint of <paramref name="shardId"/>, or null if the shard was never checkpointed.</summary>
    Task<ShardCheckpoint?> GetAsync(string shardId, CancellationToken cancellationToken = default);

    /// <summary>Stores the checkpoint of <paramref name="shardId"/>.</summary>
    Task SetAsync(string shardId, ShardCheckpoint checkpoint, CancellationToken cancellationToken = default);
}

/// <summary>How far a shard has been processed.</summary>
/// <param name="SequenceNumber">The last record processed (or discarded); reading resumes after it. Null with <paramref name="ShardEnded"/> when the shard had no record.</param>
/// <param name="ShardEnded">The shard is closed and every record of it was processed: its children may start.</param>
public sealed record ShardCheckpoint(string? SequenceNumber, bool ShardEnded = false);
