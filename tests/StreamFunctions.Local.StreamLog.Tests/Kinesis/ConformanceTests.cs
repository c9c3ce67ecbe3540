using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Local.StreamLog.Tests.Kinesis;

/// <summary>
/// EmbeddedKinesis and the InMemoryKinesis test fake behind the same IKinesisApi: the same calls give the
/// same shards, lineage and placement of records (sequence numbers differ in value, not in order).
/// </summary>
public sealed class ConformanceTests : EmbeddedKinesisTestBase
{
    private readonly InMemoryKinesis _inMemory;

    public ConformanceTests() => _inMemory = new InMemoryKinesis(Time);

    [Fact]
    public async Task CreateStreamSplitAndMerge_SameCallsOnBoth_GiveTheSameShardsAndLineage()
    {
        foreach (IKinesisApi api in new IKinesisApi[] { Sut, _inMemory })
        {
            await api.CreateStreamAsync(new CreateStreamRequest("s", 7));
            var range = HashKeys.EvenSplit(7)[2];
            await api.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(2), range.StartingHashKey + ((range.EndingHashKey - range.StartingHashKey) / 3)));
            await api.MergeShardsAsync(new MergeShardsRequest("s", ShardIds.Format(4), ShardIds.Format(5)));
        }

        var embedded = await Shards(Sut);
        var inMemory = await Shards(_inMemory);

        Assert.Equal(10, embedded.Count);
        Assert.Equal(inMemory, embedded);
    }

    [Fact]
    public async Task PutRecord_ManyKeysAndExplicitHashKeys_LandOnTheSameShardsInTheSameOrder()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 5));
        await _inMemory.CreateStreamAsync(new CreateStreamRequest("s", 5));
        var keys = Enumerable.Range(0, 500).Select(i => "key-" + i).ToList();

        var embedded = new List<PutRecordResponse>();
        var inMemory = new List<PutRecordResponse>();
        foreach (var key in keys)
        {
            var explicitHashKey = key.EndsWith('7') ? UInt128.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            embedded.Add(await Sut.PutRecordAsync(new PutRecordRequest("s", Bytes(key), key, explicitHashKey)));
            inMemory.Add(await _inMemory.PutRecordAsync(new PutRecordRequest("s", Bytes(key), key, explicitHashKey)));
        }

        Assert.Equal(inMemory.Select(r => r.ShardId), embedded.Select(r => r.ShardId));
        Assert.True(embedded.Select(r => r.ShardId).Distinct().Count() == 5, "500 keys should reach every shard");
        foreach (var shard in embedded.GroupBy(r => r.ShardId))
        {
            var sequences = shard.Select(r => r.SequenceNumber).ToList();
            Assert.Equal(sequences.Order(Comparer<string>.Create(SequenceNumbers.Compare)), sequences);
        }
    }

    private static async Task<List<(string Id, string? Parent, string? Adjacent, UInt128 Start, UInt128 End, bool Open)>> Shards(IKinesisApi api) =>
        [.. (await api.ListShardsAsync(new ListShardsRequest("s"))).Shards
            .Select(s => (s.ShardId, s.ParentShardId, s.AdjacentParentShardId, s.HashKeyRange.StartingHashKey, s.HashKeyRange.EndingHashKey, s.IsOpen))];
}
