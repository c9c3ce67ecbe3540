using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.Leases;

/// <summary>
/// Keeps the lease table in step with the stream's shards (KCL's shard sync): every shard gets a lease,
/// created with a conditional put so concurrent workers create each lease once. A shard with parents
/// (a split or merge child) starts at TRIM_HORIZON, so none of its records are skipped; a shard
/// without parents starts at the application's initial position.
/// </summary>
public static class ShardLeaseSync
{
    /// <summary>Creates the missing leases.</summary>
    /// <param name="kinesis">The stream API (Kinesis or the embedded log).</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="table">The lease table.</param>
    /// <param name="initialPosition">Where shards without parents start: TRIM_HORIZON or LATEST.</param>
    /// <param name="cancellationToken">Cancels the sync.</param>
    /// <returns>The leases created by this call.</returns>
    public static async Task<IReadOnlyList<Lease>> SyncAsync(
        IKinesisApi kinesis,
        string streamName,
        LeaseTable table,
        ExtendedSequenceNumber initialPosition,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        if (!initialPosition.IsSentinel || initialPosition.IsShardEnd)
        {
            throw new ArgumentException($"The initial position must be TRIM_HORIZON, LATEST or AT_TIMESTAMP, not {initialPosition}.", nameof(initialPosition));
        }

        var shards = new List<Shard>();
        var page = await kinesis.ListShardsAsync(new ListShardsRequest(StreamName: streamName), cancellationToken).ConfigureAwait(false);
        shards.AddRange(page.Shards);
        while (page.NextToken is not null)
        {
            page = await kinesis.ListShardsAsync(new ListShardsRequest(NextToken: page.NextToken), cancellationToken).ConfigureAwait(false);
            shards.AddRange(page.Shards);
        }

        var known = shards.Select(s => s.ShardId).ToHashSet(StringComparer.Ordinal);
        var existing = (await table.ListAsync(cancellationToken).ConfigureAwait(false)).Select(l => l.LeaseKey).ToHashSet(StringComparer.Ordinal);
        var created = new List<Lease>();
        foreach (var shard in shards.Where(s => !existing.Contains(s.ShardId)))
        {
            string[] parents = [.. new[] { shard.ParentShardId, shard.AdjacentParentShardId }.OfType<string>()];
            var hasKnownParent = parents.Any(p => known.Contains(p) || existing.Contains(p));
            var lease = new Lease(
                shard.ShardId,
                LeaseOwner: null,
                LeaseCounter: 0,
                hasKnownParent ? ExtendedSequenceNumber.TrimHorizon : initialPosition,
                OwnerSwitchesSinceCheckpoint: 0,
                parents,
                ChildShardIds: [],
                shard.HashKeyRange);
            if (await table.CreateIfNotExistsAsync(lease, cancellationToken).ConfigureAwait(false))
            {
                created.Add(lease);
            }
        }

        return created;
    }
}
