using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.Leases.Tests.Integration;

/// <summary>
/// A minimal KCL-style shard loop for tests: reads a page after the lease's checkpoint, records what it
/// processed, checkpoints the last record, and checkpoints SHARD_END (with the children) at a closed shard's end.
/// </summary>
internal sealed class ShardProcessor(IKinesisApi kinesis, string stream, LeaseCoordinator worker, List<(string Shard, string Data)> processed)
{
    public async Task ProcessOnePageAsync(string leaseKey, int limit)
    {
        var lease = worker.HeldLeases.Single(l => l.LeaseKey == leaseKey);
        var iterator = lease.Checkpoint.IsSentinel
            ? await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(stream, leaseKey, ShardIteratorType.TrimHorizon))
            : await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(stream, leaseKey, ShardIteratorType.AfterSequenceNumber, lease.Checkpoint.SequenceNumber));
        var page = await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator.ShardIterator, limit));
        foreach (var record in page.Records)
        {
            processed.Add((leaseKey, Encoding.UTF8.GetString(record.Data.Span)));
        }

        if (page.Records.Count > 0)
        {
            await worker.CheckpointAsync(leaseKey, new ExtendedSequenceNumber(page.Records[^1].SequenceNumber));
        }

        if (page.NextShardIterator is null)
        {
            await worker.CheckpointAsync(leaseKey, ExtendedSequenceNumber.ShardEnd, [.. (page.ChildShards ?? []).Select(c => c.ShardId)]);
        }
    }
}
