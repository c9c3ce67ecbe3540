using StreamFunctions.KinesisApi;
using StreamFunctions.Local.Leases;
using StreamFunctions.Local.Leases.Exceptions;

namespace StreamFunctions.Local.EventSourceMapping.Checkpoints;

/// <summary>
/// A mapping's checkpoints in a KCL lease table (DynamoDB), shared by every runner of the mapping: each runner holds
/// the leases of some shards (taken, renewed and balanced by <see cref="LeaseCoordinator"/>), processes only those,
/// and checkpoints fenced by the lease counter, so a runner whose shard was taken can no longer move its checkpoint.
/// Shards get their leases as they appear (splits and merges included, children at TRIM_HORIZON).
/// </summary>
public sealed class LeaseTableCheckpointStore : IShardLeaseStore
{
    private readonly LeaseCoordinator _coordinator;
    private readonly IKinesisApi _kinesis;
    private readonly string _streamName;
    private readonly ExtendedSequenceNumber _initialPosition;
    private readonly TimeProvider _time;
    private DateTimeOffset? _lastRound;

    /// <summary>Creates the store.</summary>
    /// <param name="coordinator">This runner's side of the lease protocol (its worker id, table and timings).</param>
    /// <param name="kinesis">The stream's API, to create leases for new shards.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="initialPosition">Where shards without parents start (TRIM_HORIZON by default, or LATEST).</param>
    /// <param name="time">The clock that paces lease rounds.</param>
    public LeaseTableCheckpointStore(LeaseCoordinator coordinator, IKinesisApi kinesis, string streamName, ExtendedSequenceNumber? initialPosition = null, TimeProvider? time = null)
    {
        _coordinator = coordinator ?? throw new ArgumentNullException(nameof(coordinator));
        _kinesis = kinesis ?? throw new ArgumentNullException(nameof(kinesis));
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        _streamName = streamName;
        _initialPosition = initialPosition ?? ExtendedSequenceNumber.TrimHorizon;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async Task<IReadOnlySet<string>> AcquireAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (_lastRound is not { } last || now - last >= _coordinator.RenewInterval)
        {
            await ShardLeaseSync.SyncAsync(_kinesis, _streamName, _coordinator.Table, _initialPosition, cancellationToken).ConfigureAwait(false);
            await _coordinator.RunOnceAsync(cancellationToken).ConfigureAwait(false);
            _lastRound = now;
        }

        return _coordinator.HeldLeases.Select(l => l.LeaseKey).ToHashSet(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public Task ReleaseAsync(CancellationToken cancellationToken = default) => _coordinator.ReleaseAllAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<ShardCheckpoint?> GetAsync(string shardId, CancellationToken cancellationToken = default)
    {
        var lease = await _coordinator.Table.GetAsync(shardId, cancellationToken).ConfigureAwait(false);
        return lease?.Checkpoint switch
        {
            null => null,
            { IsShardEnd: true } => new ShardCheckpoint(null, ShardEnded: true),
            { IsSentinel: true } => null,
            { } sequence => new ShardCheckpoint(sequence.SequenceNumber),
        };
    }

    /// <inheritdoc />
    /// <exception cref="ShardLeaseLostException">Another runner holds the shard now; nothing was written.</exception>
    public async Task SetAsync(string shardId, ShardCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var value = checkpoint.ShardEnded ? ExtendedSequenceNumber.ShardEnd
            : checkpoint.SequenceNumber is { } sequence ? new ExtendedSequenceNumber(sequence)
            : throw new ArgumentException($"A checkpoint of {shardId} needs a sequence number or the shard's end.", nameof(checkpoint));
        try
        {
            await _coordinator.CheckpointAsync(shardId, value, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (LeaseLostException e)
        {
            throw new ShardLeaseLostException(shardId, e.Message, e);
        }
    }
}
