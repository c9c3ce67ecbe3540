using System.Collections.Concurrent;

namespace StreamFunctions.Local.EventSourceMapping.Checkpoints;

/// <summary>Checkpoints held in memory: they last as long as the process (the runner's default).</summary>
public sealed class InMemoryShardCheckpointStore : IShardCheckpointStore
{
    private readonly ConcurrentDictionary<string, ShardCheckpoint> _checkpoints = new(StringComparer.Ordinal);

    /// <summary>Every shard's checkpoint, for inspection.</summary>
    public IReadOnlyDictionary<string, ShardCheckpoint> Checkpoints => _checkpoints;

    /// <inheritdoc />
    public Task<ShardCheckpoint?> GetAsync(string shardId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_checkpoints.TryGetValue(shardId, out var checkpoint) ? checkpoint : null);

    /// <inheritdoc />
    public Task SetAsync(string shardId, ShardCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _checkpoints[shardId] = checkpoint;
        return Task.CompletedTask;
    }
}
