using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;

namespace StreamFunctions.Testing.Faults;

/// <summary>
/// Records every checkpoint written through it and any that moved a shard backwards (or past its end), so
/// "checkpoints are monotonic" becomes a failing test. Runners that share a lease table can share one
/// <see cref="CheckpointHistory"/>, which then checks the order across them.
/// </summary>
/// <param name="inner">The store written through.</param>
/// <param name="history">The history to check against (a new one when null).</param>
public class MonotonicCheckpointStore(IShardCheckpointStore inner, CheckpointHistory? history = null) : IShardCheckpointStore
{
    private readonly CheckpointHistory _history = history ?? new CheckpointHistory();

    /// <summary>Checkpoints that went backwards, one line each (empty when all were monotonic).</summary>
    public IReadOnlyCollection<string> Violations => _history.Violations;

    /// <inheritdoc />
    public Task<ShardCheckpoint?> GetAsync(string shardId, CancellationToken cancellationToken = default) => inner.GetAsync(shardId, cancellationToken);

    /// <inheritdoc />
    public async Task SetAsync(string shardId, ShardCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await inner.SetAsync(shardId, checkpoint, cancellationToken).ConfigureAwait(false);
        _history.Record(shardId, checkpoint);
    }
}

/// <summary>A <see cref="MonotonicCheckpointStore"/> around a lease store: runners sharing a lease table keep their leases.</summary>
/// <param name="inner">The lease store.</param>
/// <param name="history">The history shared by the runners.</param>
public sealed class MonotonicLeaseStore(IShardLeaseStore inner, CheckpointHistory history) : MonotonicCheckpointStore(inner, history), IShardLeaseStore
{
    /// <inheritdoc />
    public Task<IReadOnlySet<string>> AcquireAsync(CancellationToken cancellationToken = default) => inner.AcquireAsync(cancellationToken);

    /// <inheritdoc />
    public Task ReleaseAsync(CancellationToken cancellationToken = default) => inner.ReleaseAsync(cancellationToken);
}

/// <summary>Checkpoints as written, per shard, in order; and those that moved backwards.</summary>
public sealed class CheckpointHistory
{
    private readonly Dictionary<string, ShardCheckpoint> _last = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private int _writes;

    /// <summary>Checkpoints that went backwards, one line each.</summary>
    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Checkpoints written.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Records a checkpoint that was written.</summary>
    /// <param name="shardId">The shard.</param>
    /// <param name="checkpoint">The checkpoint.</param>
    public void Record(string shardId, ShardCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        lock (_last)
        {
            if (_last.TryGetValue(shardId, out var previous) && Backwards(previous, checkpoint))
            {
                _violations.Enqueue($"{shardId}: checkpoint {Describe(checkpoint)} after {Describe(previous)}");
            }

            if (!checkpoint.ShardEnded || checkpoint.SequenceNumber is not null || !_last.ContainsKey(shardId))
            {
                _last[shardId] = checkpoint;
            }
            else
            {
                _last[shardId] = previous! with { ShardEnded = true };
            }

            _writes++;
        }
    }

    private static bool Backwards(ShardCheckpoint previous, ShardCheckpoint next) =>
        (previous.ShardEnded && !next.ShardEnded)
        || (previous.SequenceNumber is { } before && next.SequenceNumber is { } after && Parse(after) < Parse(before))
        || (previous.SequenceNumber is not null && next.SequenceNumber is null && !next.ShardEnded);

    private static BigInteger Parse(string sequence) => BigInteger.Parse(sequence, NumberStyles.None, CultureInfo.InvariantCulture);

    private static string Describe(ShardCheckpoint checkpoint) => (checkpoint.SequenceNumber ?? "(none)") + (checkpoint.ShardEnded ? " SHARD_END" : "");
}
