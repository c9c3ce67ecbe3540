using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Local.StreamLog.Kinesis;

// Resharding: SplitShard, MergeShards and UpdateShardCount (uniform scaling by splits and merges), with lineage.
public sealed partial class EmbeddedKinesis
{
    /// <inheritdoc />
    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            var parent = FindShard(stream, request.ShardToSplit);
            RequireOpen(stream, parent);
            var range = parent.HashKeyRange;
            if (request.NewStartingHashKey <= range.StartingHashKey || request.NewStartingHashKey > range.EndingHashKey)
            {
                throw new KinesisInvalidArgumentException($"NewStartingHashKey {HashKeys.Format(request.NewStartingHashKey)} must be greater than {HashKeys.Format(range.StartingHashKey)} and at most {HashKeys.Format(range.EndingHashKey)}, inside the range of {parent.ShardId} of stream {stream.Name}.");
            }

            RequireRoom(stream, 2);
            lock (_gate)
            {
                Split(stream, parent, request.NewStartingHashKey);
                WriteCatalogLocked();
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            var first = FindShard(stream, request.ShardToMerge);
            var second = FindShard(stream, request.AdjacentShardToMerge);
            RequireOpen(stream, first);
            RequireOpen(stream, second);
            var (low, high) = first.HashKeyRange.StartingHashKey < second.HashKeyRange.StartingHashKey ? (first, second) : (second, first);
            if (first == second || low.HashKeyRange.EndingHashKey == UInt128.MaxValue || low.HashKeyRange.EndingHashKey + 1 != high.HashKeyRange.StartingHashKey)
            {
                throw new KinesisInvalidArgumentException($"Shards {first.ShardId} and {second.ShardId} of stream {stream.Name} are not adjacent: their hash key ranges must touch.");
            }

            RequireRoom(stream, 1);
            lock (_gate)
            {
                Merge(stream, first, second);
                WriteCatalogLocked();
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Uniform scaling as a series of splits and merges, like Kinesis: first each open shard is split
    /// at the boundaries of <see cref="HashKeys.EvenSplit"/>(target) inside it, then the pieces of
    /// each target range are merged, so the open shards end with exactly the even ranges and every
    /// new shard has its parents.
    /// </remarks>
    public Task<UpdateShardCountResponse> UpdateShardCountAsync(UpdateShardCountRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            var current = stream.OpenShards.Count;
            var target = request.TargetShardCount;
            if (target < 1 || target > _options.MaxShardsPerStream)
            {
                throw new KinesisInvalidArgumentException($"TargetShardCount {target} for stream {stream.Name} must be from 1 to {_options.MaxShardsPerStream}.");
            }

            if (target > 2 * current || target < (current + 1) / 2)
            {
                throw new KinesisLimitExceededException($"UpdateShardCount of stream {stream.Name} from {current} to {target} shards: a single call may at most double or halve the open shard count ({(current + 1) / 2} to {2 * current}).");
            }

            if (target == current && stream.OpenShards.Select(s => s.HashKeyRange).SequenceEqual(HashKeys.EvenSplit(target)))
            {
                return Task.FromResult(new UpdateShardCountResponse(stream.Name, current, target));
            }

            var ranges = HashKeys.EvenSplit(target);
            var splits = ranges.Skip(1).Count(r => stream.Route(r.StartingHashKey).HashKeyRange.StartingHashKey != r.StartingHashKey);
            RequireRoom(stream, (2 * splits) + current + splits);
            lock (_gate)
            {
                foreach (var range in ranges.Skip(1))
                {
                    var owner = stream.Route(range.StartingHashKey);
                    if (owner.HashKeyRange.StartingHashKey != range.StartingHashKey)
                    {
                        Split(stream, owner, range.StartingHashKey);
                    }
                }

                foreach (var range in ranges)
                {
                    var pieces = stream.OpenShards.Where(s => s.HashKeyRange.StartingHashKey >= range.StartingHashKey && s.HashKeyRange.EndingHashKey <= range.EndingHashKey).ToList();
                    var merged = pieces[0];
                    for (var i = 1; i < pieces.Count; i++)
                    {
                        merged = Merge(stream, merged, pieces[i]);
                    }
                }

                WriteCatalogLocked();
            }

            return Task.FromResult(new UpdateShardCountResponse(stream.Name, current, target));
        }
    }

    private EmbeddedShard AddShard(EmbeddedStream stream, string? parent, string? adjacentParent, HashKeyRange range, long now)
    {
        var index = stream.NextShardIndex++;
        var directory = StreamCatalog.ShardDirectory(stream.Directory, index);
        var shard = new EmbeddedShard(index, parent, adjacentParent, range, stream.NextCounter(), now, directory, AppendLog.Open(directory, _options.Log, _time));
        shard.Rebuild();
        stream.Add(shard);
        return shard;
    }

    private void Split(EmbeddedStream stream, EmbeddedShard parent, UInt128 newStartingHashKey)
    {
        var now = NowMilliseconds();
        parent.Close(stream.NextCounter(), now);
        var range = parent.HashKeyRange;
        AddShard(stream, parent.ShardId, null, range with { EndingHashKey = newStartingHashKey - 1 }, now);
        AddShard(stream, parent.ShardId, null, range with { StartingHashKey = newStartingHashKey }, now);
    }

    private EmbeddedShard Merge(EmbeddedStream stream, EmbeddedShard shard, EmbeddedShard adjacent)
    {
        var now = NowMilliseconds();
        shard.Close(stream.NextCounter(), now);
        adjacent.Close(stream.NextCounter(), now);
        var low = UInt128.Min(shard.HashKeyRange.StartingHashKey, adjacent.HashKeyRange.StartingHashKey);
        var high = UInt128.Max(shard.HashKeyRange.EndingHashKey, adjacent.HashKeyRange.EndingHashKey);
        return AddShard(stream, shard.ShardId, adjacent.ShardId, new HashKeyRange(low, high), now);
    }

    private void RequireRoom(EmbeddedStream stream, int newShards)
    {
        if (stream.Shards.Count + newShards > _options.MaxShardsPerStream)
        {
            throw new KinesisLimitExceededException($"Stream {stream.Name} has {stream.Shards.Count} shards (open and closed); {newShards} more would pass the limit of {_options.MaxShardsPerStream}.");
        }
    }

    private static void RequireOpen(EmbeddedStream stream, EmbeddedShard shard)
    {
        if (!shard.IsOpen)
        {
            throw new KinesisInvalidArgumentException($"Shard {shard.ShardId} of stream {stream.Name} is closed; only open shards can be split or merged.");
        }
    }
}
