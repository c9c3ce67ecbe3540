namespace StreamFunctions.Aggregator;

/// <summary>States in memory (the local pipeline, tests).</summary>
public sealed class InMemoryAggregatorStateStore : IAggregatorStateStore
{
    private readonly Dictionary<string, AggregatorState> _states = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public Task<AggregatorState> LoadAsync(string aggregation, string shard, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_states.GetValueOrDefault(aggregation + "/" + shard) ?? new AggregatorState(0, null, null));
        }
    }

    /// <inheritdoc/>
    public Task<long> CommitAsync(string aggregation, string shard, long expectedVersion, string lastSequence, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        var key = aggregation + "/" + shard;
        lock (_gate)
        {
            if ((_states.GetValueOrDefault(key)?.Version ?? 0) != expectedVersion)
            {
                throw new AggregatorStateConflictException(key);
            }

            _states[key] = new AggregatorState(expectedVersion + 1, lastSequence, snapshot);
            return Task.FromResult(expectedVersion + 1);
        }
    }
}
