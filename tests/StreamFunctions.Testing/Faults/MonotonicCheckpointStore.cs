using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using StreamFunctions.Lambda.EventSources.Checkpoints;

namespace StreamFunctions.Testing.Faults;

/// <summary>
/// A checkpoint store that refuses (and records) any checkpoint moving a shard backwards, or any write after a
/// shard's end: wrapped around the runner's store, it turns "checkpoints are monotonic" into a failing test.
/// </summary>
/// <param name="inner">The store written through.</param>
public sealed class MonotonicCheckpointStore(IShardCheckpointStore inner) : IShardCheckpointStore
{
    private readonly ConcurrentDictionary<string, ShardCheckpoint> _last = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private int _writes;

    /// <summary>Checkpoints that went backwards, one line each (empty when all were monotonic).</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Checkpoints written.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <inheritdoc />
    public Task<ShardCheckpoint?> GetAsync(string shardId, CancellationToken cancellationToken = default) => inner.GetAsync(shardId, cancellationToken);

    /// <inheritdoc />
    public async Task SetAsync(string shardId, ShardCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var previous = _last.TryGetValue(shardId, out var p) ? p : await inner.GetAsync(shardId, cancellationToken).ConfigureAwait(false);
        if (previous is not null && Backwards(previous, checkpoint))
        {
            var message = $"{shardId}: checkpoint {Describe(checkpoint)} after {Describe(previous)}";
            _violations.Enqueue(message);
            throw new InvalidOperationException("Checkpoint moved backwards: " + message);
        }

        await inner.SetAsync(shardId, checkpoint, cancellationToken).ConfigureAwait(false);
        _last[shardId] = checkpoint;
        Interlocked.Increment(ref _writes);
    }

    private static bool Backwards(ShardCheckpoint previous, ShardCheckpoint next) =>
        previous.ShardEnded
        || (previous.SequenceNumber is { } before && (next.SequenceNumber is not { } after || Parse(after) < Parse(before)));

    private static BigInteger Parse(string sequence) => BigInteger.Parse(sequence, NumberStyles.None, CultureInfo.InvariantCulture);

    private static string Describe(ShardCheckpoint checkpoint) => (checkpoint.SequenceNumber ?? "(none)") + (checkpoint.ShardEnded ? " SHARD_END" : "");
}
