using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.Leases;

/// <summary>
/// One row of a KCL lease table: who processes a shard and how far they got.
/// </summary>
/// <param name="LeaseKey">The shard id (single-stream applications) or KCL's multi-stream key.</param>
/// <param name="LeaseOwner">The worker holding the lease; null when free.</param>
/// <param name="LeaseCounter">Incremented by every renew, take and checkpoint: the fencing token.</param>
/// <param name="Checkpoint">How far processing got.</param>
/// <param name="OwnerSwitchesSinceCheckpoint">How often the lease changed hands since the last checkpoint.</param>
/// <param name="ParentShardIds">The shards this one was split or merged from (KCL attribute <c>parentShardId</c>).</param>
/// <param name="ChildShardIds">The shards this one was split or merged into, once known.</param>
/// <param name="HashKeyRange">The shard's hash key range, when recorded.</param>
/// <param name="PendingCheckpoint">A checkpoint prepared but not yet committed (two-phase checkpoints), if any.</param>
public sealed record Lease(
    string LeaseKey,
    string? LeaseOwner,
    long LeaseCounter,
    ExtendedSequenceNumber Checkpoint,
    long OwnerSwitchesSinceCheckpoint,
    IReadOnlyList<string> ParentShardIds,
    IReadOnlyList<string> ChildShardIds,
    HashKeyRange? HashKeyRange = null,
    ExtendedSequenceNumber? PendingCheckpoint = null)
{
    /// <summary>Whether the shard was processed to its end.</summary>
    public bool IsFinished => Checkpoint.IsShardEnd;
}
