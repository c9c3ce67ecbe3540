using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.StreamLog.Tests.Kinesis;

/// <summary>
/// EmbeddedKinesis against Kinesis's own rules, worked out here from <see cref="HashKeys"/>: the shards and lineage
/// CreateStream, SplitShard and MergeShards give, and the shard a record lands on (sequence numbers in order per shard).
/// </summary>
public sealed class ConformanceTests : EmbeddedKinesisTestBase
{
    [Fact]
    public async Task CreateStreamSplitAndMerge_GiveKinesisShardsAndLineage()
    {
        var even = HashKeys.EvenSplit(7);
        var split = even[2].StartingHashKey + ((even[2].EndingHashKey - even[2].StartingHashKey) / 3);
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 7));
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(2), split));
        await Sut.MergeShardsAsync(new MergeShardsRequest("s", ShardIds.Format(4), ShardIds.Format(5)));

        var shards = await ShardsAsync();

        List<(string Id, string? Parent, string? Adjacent, UInt128 Start, UInt128 End, bool Open)> expected =
        [
            .. even.Select((r, i) => (ShardIds.Format(i), (string?)null, (string?)null, r.StartingHashKey, r.EndingHashKey, i is not (2 or 4 or 5))),
            (ShardIds.Format(7), ShardIds.Format(2), null, even[2].StartingHashKey, split - 1, true),
            (ShardIds.Format(8), ShardIds.Format(2), null, split, even[2].EndingHashKey, true),
            (ShardIds.Format(9), ShardIds.Format(4), ShardIds.Format(5), even[4].StartingHashKey, even[5].EndingHashKey, true),
        ];
        Assert.Equal(expected, shards);
    }

    [Fact]
    public async Task PutRecord_ManyKeysAndExplicitHashKeys_LandOnTheShardHoldingTheirHashKeyInOrder()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 5));
        var even = HashKeys.EvenSplit(5);
        var keys = Enumerable.Range(0, 500).Select(i => "key-" + i).ToList();

        var written = new List<PutRecordResponse>();
        var expected = new List<string>();
        foreach (var key in keys)
        {
            var explicitHashKey = key.EndsWith('7') ? UInt128.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            written.Add(await Sut.PutRecordAsync(new PutRecordRequest("s", Bytes(key), key, explicitHashKey)));
            var hashKey = explicitHashKey is null ? HashKeys.FromPartitionKey(key) : UInt128.MaxValue;
            expected.Add(ShardIds.Format(Array.FindIndex(even, r => r.Contains(hashKey))));
        }

        Assert.Equal(expected, written.Select(r => r.ShardId));
        Assert.True(written.Select(r => r.ShardId).Distinct().Count() == 5, "500 keys should reach every shard");
        foreach (var shard in written.GroupBy(r => r.ShardId))
        {
            var sequences = shard.Select(r => r.SequenceNumber).ToList();
            Assert.Equal(sequences.Order(Comparer<string>.Create(SequenceNumbers.Compare)), sequences);
        }
    }

    private async Task<List<(string Id, string? Parent, string? Adjacent, UInt128 Start, UInt128 End, bool Open)>> ShardsAsync() =>
        [.. (await Sut.ListShardsAsync(new ListShardsRequest("s"))).Shards
            .Select(s => (s.ShardId, s.ParentShardId, s.AdjacentParentShardId, s.HashKeyRange.StartingHashKey, s.HashKeyRange.EndingHashKey, s.IsOpen))];
}
