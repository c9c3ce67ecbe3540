namespace StreamFunctions.Local.Leases;

/// <summary>
/// Checkpoints a shard every N processed records or every T, whichever comes first, instead of
/// after every record (each checkpoint is a DynamoDB write). A crash loses at most the records since
/// the last checkpoint, which are then processed again: at-least-once, as with KCL.
/// </summary>
public sealed class ThrottledCheckpointer
{
    private readonly LeaseCoordinator _coordinator;
    private readonly string _leaseKey;
    private readonly int _everyRecords;
    private readonly TimeSpan _everyInterval;
    private readonly TimeProvider _time;
    private ExtendedSequenceNumber? _pending;
    private int _sinceCheckpoint;
    private DateTimeOffset _lastCheckpoint;

    /// <summary>Creates the checkpointer for one held lease.</summary>
    /// <param name="coordinator">The worker's coordinator (fences every write).</param>
    /// <param name="leaseKey">The lease (shard).</param>
    /// <param name="everyRecords">Checkpoint after this many records; at least 1.</param>
    /// <param name="everyInterval">Checkpoint when this much time passed since the last one; above zero.</param>
    /// <param name="time">The clock; the system clock when null.</param>
    public ThrottledCheckpointer(LeaseCoordinator coordinator, string leaseKey, int everyRecords, TimeSpan everyInterval, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentException.ThrowIfNullOrEmpty(leaseKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(everyRecords, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(everyInterval, TimeSpan.Zero);
        _coordinator = coordinator;
        _leaseKey = leaseKey;
        _everyRecords = everyRecords;
        _everyInterval = everyInterval;
        _time = time ?? TimeProvider.System;
        _lastCheckpoint = _time.GetUtcNow();
    }

    /// <summary>How many checkpoints were written.</summary>
    public int CheckpointsWritten { get; private set; }

    /// <summary>Notes that a record was processed; checkpoints it when N records or T passed.</summary>
    /// <param name="sequence">The processed record's sequence number (and sub-sequence for aggregated records).</param>
    /// <param name="cancellationToken">Cancels a checkpoint write.</param>
    /// <returns>True when this call wrote a checkpoint.</returns>
    public async Task<bool> ProcessedAsync(ExtendedSequenceNumber sequence, CancellationToken cancellationToken = default)
    {
        _pending = sequence;
        _sinceCheckpoint++;
        if (_sinceCheckpoint < _everyRecords && _time.GetUtcNow() - _lastCheckpoint < _everyInterval)
        {
            return false;
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Checkpoints the last processed record now, if any is pending (on shutdown or before giving up a lease).</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when written.</returns>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending is not { } pending)
        {
            return;
        }

        await _coordinator.CheckpointAsync(_leaseKey, pending, cancellationToken: cancellationToken).ConfigureAwait(false);
        _pending = null;
        _sinceCheckpoint = 0;
        _lastCheckpoint = _time.GetUtcNow();
        CheckpointsWritten++;
    }

    /// <summary>The shard was read to its end: flush, then checkpoint SHARD_END with its children.</summary>
    /// <param name="childShardIds">The closed shard's children.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>A task that completes when written.</returns>
    public async Task ShardEndedAsync(IReadOnlyList<string> childShardIds, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _coordinator.CheckpointAsync(_leaseKey, ExtendedSequenceNumber.ShardEnd, childShardIds, cancellationToken).ConfigureAwait(false);
        CheckpointsWritten++;
    }
}
