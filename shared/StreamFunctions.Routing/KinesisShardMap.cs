using StreamFunctions.Streams;
using StreamFunctions.Streams.Model;

namespace StreamFunctions.Routing;

/// <summary>
/// Where Kinesis puts a record: the open shard whose hash key range holds the MD5 of the partition key as a
/// 128-bit big-endian integer, or the explicit hash key when given. The map is read with ListShards and
/// refreshed after a resharding (call <see cref="RefreshAsync"/> when a put lands on a shard the map does
/// not expect, or periodically).
/// </summary>
public sealed class KinesisShardMap
{
    private readonly IKinesisApi _kinesis;
    private readonly string _stream;
    private volatile Shard[] _open = [];

    /// <summary>Creates the map; call <see cref="RefreshAsync"/> before routing.</summary>
    /// <param name="kinesis">The stream API.</param>
    /// <param name="streamName">The stream.</param>
    public KinesisShardMap(IKinesisApi kinesis, string streamName)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        ArgumentException.ThrowIfNullOrEmpty(streamName);
        _kinesis = kinesis;
        _stream = streamName;
    }

    /// <summary>The open shards, by starting hash key.</summary>
    public IReadOnlyList<Shard> OpenShards => _open;

    /// <summary>Reads the stream's open shards.</summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>A task that completes when the map is current.</returns>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var shards = new List<Shard>();
        var page = await _kinesis.ListShardsAsync(new ListShardsRequest(StreamName: _stream), cancellationToken).ConfigureAwait(false);
        shards.AddRange(page.Shards);
        while (page.NextToken is not null)
        {
            page = await _kinesis.ListShardsAsync(new ListShardsRequest(NextToken: page.NextToken), cancellationToken).ConfigureAwait(false);
            shards.AddRange(page.Shards);
        }

        var open = shards.Where(s => s.IsOpen).OrderBy(s => s.HashKeyRange.StartingHashKey).ToArray();
        for (var i = 1; i < open.Length; i++)
        {
            if (open[i].HashKeyRange.StartingHashKey != open[i - 1].HashKeyRange.EndingHashKey + 1)
            {
                throw new InvalidOperationException($"The open shards of {_stream} do not cover the hash key space contiguously ({open[i - 1].ShardId} ends at {open[i - 1].HashKeyRange.EndingHashKey}, {open[i].ShardId} starts at {open[i].HashKeyRange.StartingHashKey}): the stream is resharding; refresh again.");
            }
        }

        _open = open;
    }

    /// <summary>The shard a record goes to.</summary>
    /// <param name="partitionKey">The partition key.</param>
    /// <param name="explicitHashKey">The explicit hash key, if any (it wins over the partition key).</param>
    /// <returns>The shard.</returns>
    public Shard Route(string partitionKey, string? explicitHashKey = null)
    {
        var hashKey = explicitHashKey is null ? HashKeys.FromPartitionKey(partitionKey) : HashKeys.Parse(explicitHashKey);
        return RouteHashKey(hashKey);
    }

    /// <summary>The shard that owns a hash key.</summary>
    /// <param name="hashKey">The 128-bit hash key.</param>
    /// <returns>The shard.</returns>
    public Shard RouteHashKey(UInt128 hashKey)
    {
        var open = _open;
        if (open.Length == 0)
        {
            throw new InvalidOperationException($"The shard map of {_stream} is empty: call RefreshAsync first.");
        }

        int low = 0, high = open.Length - 1;
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (open[mid].HashKeyRange.StartingHashKey <= hashKey)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return open[low].HashKeyRange.Contains(hashKey)
            ? open[low]
            : throw new InvalidOperationException($"No open shard of {_stream} holds hash key {hashKey}.");
    }
}
