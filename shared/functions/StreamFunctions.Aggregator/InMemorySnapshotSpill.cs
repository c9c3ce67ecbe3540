namespace StreamFunctions.Aggregator;

/// <summary>Spilled snapshots in memory (tests, the local pipeline).</summary>
public sealed class InMemorySnapshotSpill : ISnapshotSpill
{
    private readonly Dictionary<string, byte[]> _snapshots = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The ids held.</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_gate)
            {
                return [.. _snapshots.Keys];
            }
        }
    }

    /// <inheritdoc/>
    public Task PutAsync(string id, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _snapshots[id] = snapshot;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _snapshots.TryGetValue(id, out var snapshot) ? Task.FromResult(snapshot) : throw new InvalidDataException($"The spilled window state {id} is not held.");
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _snapshots.Remove(id);
        }

        return Task.CompletedTask;
    }
}
