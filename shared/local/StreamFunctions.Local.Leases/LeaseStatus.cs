using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.Leases;

/// <summary>One shard's line in a lease-table status report.</summary>
/// <param name="ShardId">The shard (lease key).</param>
/// <param name="Lease">Its lease, or null when the shard has none yet.</param>
/// <param name="Shard">The shard as Kinesis lists it, when the stream was read.</param>
/// <param name="State">finished, owned, unowned, or no-lease.</param>
public sealed record LeaseStatusRow(string ShardId, Lease? Lease, Shard? Shard, string State)
{
    /// <summary>
    /// How far the checkpoint is behind the shard's tip: Kinesis's MillisBehindLatest for a read just after the
    /// checkpoint (the iterator age a consumer resuming there would have); 0 when caught up; null when not measured
    /// (no stream given, no lease, a finished shard, or a LATEST/AT_TIMESTAMP checkpoint).
    /// </summary>
    public long? MillisBehind { get; init; }

    /// <summary>Whether at least one record is waiting after the checkpoint (null when not measured).</summary>
    public bool? RecordsWaiting { get; init; }
}

/// <summary>Reads a lease table (ours or a KCL application's) and, optionally, the stream, for <c>sfn status</c>.</summary>
public static class LeaseStatus
{
    /// <summary>Builds the report: one row per lease, plus the stream's shards that have no lease.</summary>
    /// <param name="table">The lease table.</param>
    /// <param name="kinesis">The stream API, or null to report the table alone.</param>
    /// <param name="streamName">The stream, when <paramref name="kinesis"/> is given.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The rows, by shard id.</returns>
    /// <exception cref="KinesisException">The stream cannot be read.</exception>
    public static async Task<IReadOnlyList<LeaseStatusRow>> ReadAsync(LeaseTable table, IKinesisApi? kinesis, string? streamName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var leases = await table.ListAsync(cancellationToken).ConfigureAwait(false);
        var shards = new Dictionary<string, Shard>(StringComparer.Ordinal);
        if (kinesis is not null && streamName is not null)
        {
            var page = await kinesis.ListShardsAsync(new ListShardsRequest(StreamName: streamName), cancellationToken).ConfigureAwait(false);
            foreach (var shard in page.Shards)
            {
                shards[shard.ShardId] = shard;
            }

            while (page.NextToken is not null)
            {
                page = await kinesis.ListShardsAsync(new ListShardsRequest(NextToken: page.NextToken), cancellationToken).ConfigureAwait(false);
                foreach (var shard in page.Shards)
                {
                    shards[shard.ShardId] = shard;
                }
            }
        }

        var rows = leases.Select(l => new LeaseStatusRow(
            l.LeaseKey,
            l,
            shards.GetValueOrDefault(l.LeaseKey),
            l.IsFinished ? "finished" : l.LeaseOwner is null ? "unowned" : "owned")).ToList();
        rows.AddRange(shards.Values
            .Where(s => leases.All(l => l.LeaseKey != s.ShardId))
            .Select(s => new LeaseStatusRow(s.ShardId, null, s, "no-lease")));
        rows.Sort(static (a, b) => string.CompareOrdinal(a.ShardId, b.ShardId));
        if (kinesis is null || streamName is null)
        {
            return rows;
        }

        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is { Lease: { IsFinished: false } lease, Shard: not null } row && IteratorFor(lease.Checkpoint) is { } position)
            {
                var iterator = await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(streamName, row.ShardId, position.Type, position.Sequence), cancellationToken).ConfigureAwait(false);
                var read = await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator.ShardIterator!, Limit: 1), cancellationToken).ConfigureAwait(false);
                rows[i] = row with { MillisBehind = read.MillisBehindLatest, RecordsWaiting = read.Records.Count > 0 };
            }
        }

        return rows;
    }

    // Where a consumer resuming from the checkpoint reads: after its sequence number, or the trim horizon.
    private static (ShardIteratorType Type, string? Sequence)? IteratorFor(ExtendedSequenceNumber checkpoint) =>
        checkpoint == ExtendedSequenceNumber.TrimHorizon ? (ShardIteratorType.TrimHorizon, null)
        : checkpoint.IsSentinel ? null
        : (ShardIteratorType.AfterSequenceNumber, checkpoint.SequenceNumber);
}
