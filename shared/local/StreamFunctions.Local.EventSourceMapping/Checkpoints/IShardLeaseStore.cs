namespace StreamFunctions.Local.EventSourceMapping.Checkpoints;

/// <summary>
/// Checkpoints that several runners of one mapping share through leases: each runner processes only the shards it
/// holds, and a checkpoint is written only while its lease is held. A runner that stops without releasing (a crash)
/// loses its shards to the others once its leases expire; they resume from its last checkpoint.
/// </summary>
public interface IShardLeaseStore : IShardCheckpointStore
{
    /// <summary>Renews the held leases and takes free, expired or (for balance) other runners' leases, at the store's own pace.</summary>
    /// <param name="cancellationToken">Cancels the round.</param>
    /// <returns>The shards this runner may process now.</returns>
    Task<IReadOnlySet<string>> AcquireAsync(CancellationToken cancellationToken = default);

    /// <summary>Gives up every held lease so other runners take them at once (a graceful stop).</summary>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>A task that completes when released.</returns>
    Task ReleaseAsync(CancellationToken cancellationToken = default);
}

/// <summary>A checkpoint was refused because another runner holds the shard's lease now; the shard is dropped by this runner.</summary>
/// <param name="shardId">The shard.</param>
/// <param name="message">What happened.</param>
/// <param name="innerException">The lease store's error.</param>
public sealed class ShardLeaseLostException(string shardId, string message, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>The shard.</summary>
    public string ShardId { get; } = shardId;
}
