namespace StreamFunctions.Aggregator;

/// <summary>One shard's saved aggregation: the operator's snapshot and the last sequence number it holds.</summary>
/// <param name="Version">Advanced by every commit; 0 when nothing was saved.</param>
/// <param name="LastSequence">The last record applied; records up to it are skipped on redelivery.</param>
/// <param name="Snapshot">The operator state, or null.</param>
public sealed record AggregatorState(long Version, string? LastSequence, byte[]? Snapshot);

/// <summary>Another invocation committed the shard's state since it was read.</summary>
/// <param name="key">The aggregation and shard.</param>
public sealed class AggregatorStateConflictException(string key)
    : Exception($"The aggregation state of {key} changed since it was read (two invocations on one shard: use ParallelizationFactor 1).");

/// <summary>Where each shard's aggregation state and checkpoint are kept.</summary>
public interface IAggregatorStateStore
{
    /// <summary>Reads a shard's state.</summary>
    /// <param name="aggregation">The aggregation's name.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The state (version 0 when there is none).</returns>
    Task<AggregatorState> LoadAsync(string aggregation, string shard, CancellationToken cancellationToken = default);

    /// <summary>Saves a state and its checkpoint together, if nobody saved since <paramref name="expectedVersion"/>.</summary>
    /// <param name="aggregation">The aggregation's name.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="expectedVersion">The version read.</param>
    /// <param name="lastSequence">The last record the snapshot holds.</param>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The new version.</returns>
    /// <exception cref="AggregatorStateConflictException">Saved in between.</exception>
    Task<long> CommitAsync(string aggregation, string shard, long expectedVersion, string lastSequence, byte[] snapshot, CancellationToken cancellationToken = default);
}
