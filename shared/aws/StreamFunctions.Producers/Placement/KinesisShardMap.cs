using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using StreamFunctions.Hashing;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Producers.Placement;

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
    private volatile Index _index = Index.Empty;

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
    public IReadOnlyList<Shard> OpenShards => _index.Shards;

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

        if (open.Length > 0 && (open[0].HashKeyRange.StartingHashKey != UInt128.Zero || open[^1].HashKeyRange.EndingHashKey != UInt128.MaxValue))
        {
            throw new InvalidOperationException($"The open shards of {_stream} do not cover the whole hash key space (they span {open[0].HashKeyRange.StartingHashKey} to {open[^1].HashKeyRange.EndingHashKey}): the stream is resharding; refresh again.");
        }

        _index = new Index(open);
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
        var index = Current();
        return index.Shards[index.Find(hashKey)];
    }

    /// <summary>
    /// Routes many records at once: their partition keys are hashed side by side in vector lanes
    /// (<see cref="Md5Batch"/>), several times faster than one <see cref="Route"/> per key.
    /// </summary>
    /// <param name="partitionKeys">The partition keys.</param>
    /// <param name="shards">Receives the shard of <c>partitionKeys[i]</c> at <c>i</c>.</param>
    public void RouteMany(IReadOnlyList<string> partitionKeys, Span<Shard> shards)
    {
        ArgumentNullException.ThrowIfNull(partitionKeys);
        if (shards.Length < partitionKeys.Count)
        {
            throw new ArgumentException("Too small for one shard per key.", nameof(shards));
        }

        var index = Current();
        var count = partitionKeys.Count;
        var bytes = 0;
        for (var i = 0; i < count; i++)
        {
            bytes += Encoding.UTF8.GetMaxByteCount((partitionKeys[i] ?? throw new ArgumentException($"Partition key {i} is null.", nameof(partitionKeys))).Length);
        }

        var utf8 = ArrayPool<byte>.Shared.Rent(bytes);
        var lengths = ArrayPool<int>.Shared.Rent(count);
        var digests = ArrayPool<byte>.Shared.Rent(count * 16);
        try
        {
            var at = 0;
            for (var i = 0; i < count; i++)
            {
                at += lengths[i] = Encoding.UTF8.GetBytes(partitionKeys[i], 0, partitionKeys[i].Length, utf8, at);
            }

            Md5Batch.Hash(utf8.AsSpan(0, at), lengths.AsSpan(0, count), digests);
            for (var i = 0; i < count; i++)
            {
                var digest = digests.AsSpan(i * 16, 16);
                var hashKey = new UInt128(BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]));
                shards[i] = index.Shards[index.Find(hashKey)];
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
            ArrayPool<int>.Shared.Return(lengths);
            ArrayPool<byte>.Shared.Return(digests);
        }
    }

    private Index Current()
    {
        var index = _index;
        return index.Shards.Length > 0 ? index : throw new InvalidOperationException($"The shard map of {_stream} is empty: call RefreshAsync first.");
    }

    /// <summary>
    /// The open shards with a lookup table on the hash key's top 16 bits: each of the 65,536 slices of the
    /// key space points at the shard holding the slice's first key, so a lookup reads the table and steps
    /// over the few shards that start inside the slice (none, for streams under thousands of shards).
    /// </summary>
    private sealed class Index
    {
        public static readonly Index Empty = new([]);

        private readonly UInt128[] _starts;
        private readonly int[] _slices;

        public Index(Shard[] open)
        {
            Shards = open;
            _starts = [.. open.Select(s => s.HashKeyRange.StartingHashKey)];
            _slices = new int[open.Length == 0 ? 0 : 1 << 16];
            var shard = 0;
            for (var slice = 0; slice < _slices.Length; slice++)
            {
                var first = (UInt128)(ulong)slice << 112;
                while (shard + 1 < open.Length && _starts[shard + 1] <= first)
                {
                    shard++;
                }

                _slices[slice] = shard;
            }
        }

        public Shard[] Shards { get; }

        public int Find(UInt128 hashKey)
        {
            var shard = _slices[(int)(ulong)(hashKey >> 112)];
            var starts = _starts;
            while (shard + 1 < starts.Length && starts[shard + 1] <= hashKey)
            {
                shard++;
            }

            // The open shards cover the key space contiguously (checked on refresh), so the shard found holds the key.
            return shard;
        }
    }
}
