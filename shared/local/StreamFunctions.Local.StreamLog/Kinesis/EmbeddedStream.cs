using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>
/// One embedded stream: its shards in id order, the open ones by hash key for routing, and the
/// stream-wide counter behind every sequence number. <see cref="Gate"/> orders appends and
/// reshards: a record's counter is taken and its append made under it, so counters increase in
/// log order within each shard, and no record is routed to a shard that is closing.
/// </summary>
internal sealed class EmbeddedStream(int id, string name, long createdMilliseconds, long retentionMilliseconds, string directory)
{
    private EmbeddedShard[] _open = [];

    public int Id { get; } = id;

    public string Name { get; } = name;

    public long CreatedMilliseconds { get; } = createdMilliseconds;

    public long RetentionMilliseconds { get; set; } = retentionMilliseconds;

    public string Directory { get; } = directory;

    public Lock Gate { get; } = new();

    /// <summary>The last counter handed out.</summary>
    public ulong Counter { get; set; }

    public int NextShardIndex { get; set; }

    /// <summary>Kept shards (not yet expired) in index order.</summary>
    public List<EmbeddedShard> Shards { get; } = [];

    public bool IsDeleted { get; set; }

    /// <summary>The open shards ordered by starting hash key.</summary>
    public IReadOnlyList<EmbeddedShard> OpenShards => _open;

    public ulong NextCounter() => ++Counter;

    public void Add(EmbeddedShard shard)
    {
        Shards.Add(shard);
        Shards.Sort((a, b) => a.Index.CompareTo(b.Index));
        RefreshOpen();
    }

    public void RefreshOpen() =>
        _open = [.. Shards.Where(s => s.IsOpen).OrderBy(s => s.HashKeyRange.StartingHashKey)];

    public EmbeddedShard? Find(int index)
    {
        foreach (var shard in Shards)
        {
            if (shard.Index == index)
            {
                return shard;
            }
        }

        return null;
    }

    /// <summary>The open shard owning <paramref name="hashKey"/>: the open ranges always cover the key space exactly once.</summary>
    public EmbeddedShard Route(UInt128 hashKey)
    {
        var open = _open;
        int low = 0, high = open.Length - 1;
        while (low < high)
        {
            var mid = (low + high + 1) >>> 1;
            if (open[mid].HashKeyRange.StartingHashKey <= hashKey)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return open[low];
    }

    public IReadOnlyList<ChildShard> ChildrenOf(EmbeddedShard parent)
    {
        var children = new List<ChildShard>();
        foreach (var shard in Shards)
        {
            if (shard.ParentShardId == parent.ShardId || shard.AdjacentParentShardId == parent.ShardId)
            {
                children.Add(new ChildShard(
                    shard.ShardId,
                    shard.AdjacentParentShardId is null ? [shard.ParentShardId!] : [shard.ParentShardId!, shard.AdjacentParentShardId],
                    shard.HashKeyRange));
            }
        }

        return children;
    }

    public CatalogStream ToCatalog() => new(
        Id,
        Name,
        CreatedMilliseconds,
        RetentionMilliseconds,
        Counter,
        NextShardIndex,
        [.. Shards.Select(s => new CatalogShard(s.Index, s.ParentShardId, s.AdjacentParentShardId, s.HashKeyRange, s.StartingCounter, s.EndingCounter, s.CreatedMilliseconds, s.ClosedMilliseconds))]);
}
