using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.Producers.Placement;

namespace StreamFunctions.Producers.Tests;

public sealed class HotKeySpreaderTests
{
    [Fact]
    public void KeyFor_HotKey_SpreadsOverEverySaltAndSoOverSeveralShards()
    {
        var sut = new HotKeySpreader(["tenant-1"], salts: 8);
        var ranges = HashKeys.EvenSplit(8);

        var keys = Enumerable.Range(0, 2_000).Select(i => sut.KeyFor("tenant-1", Encoding.UTF8.GetBytes("event-" + i))).ToList();

        Assert.Equal(8, keys.Distinct().Count());
        Assert.All(keys, k => Assert.StartsWith("tenant-1#", k, StringComparison.Ordinal));
        var shards = keys.Distinct().Select(k => Array.FindIndex(ranges, r => r.Contains(HashKeys.FromPartitionKey(k)))).Distinct().Count();
        Assert.True(shards >= 4, $"8 salted keys landed on only {shards} of 8 shards");
    }

    [Fact]
    public void KeyFor_SameRecordTwice_SameSaltedKey()
    {
        var sut = new HotKeySpreader(["hot"], salts: 16);

        Assert.Equal(sut.KeyFor("hot", "id-42"u8), sut.KeyFor("hot", "id-42"u8));
    }

    [Fact]
    public void KeyFor_ColdKey_Unchanged()
    {
        var sut = new HotKeySpreader(["hot"], salts: 4);

        Assert.Equal("cold", sut.KeyFor("cold", "x"u8));
    }

    [Theory]
    [InlineData("hot#3", "hot")]
    [InlineData("hot#4", "hot#4")]
    [InlineData("cold#1", "cold#1")]
    [InlineData("hot", "hot")]
    public void Unsalt_Keys_GivesTheOriginalOnlyForSaltsItMade(string salted, string expected)
    {
        Assert.Equal(expected, new HotKeySpreader(["hot"], salts: 4).Unsalt(salted));
    }

    [Fact]
    public void Create_KeyTooLongToSalt_ThrowsNamingIt()
    {
        Assert.Throws<ArgumentException>(() => new HotKeySpreader([new string('k', 255)], salts: 10));
    }
}

public sealed class ShardCountAdvisorTests
{
    [Fact]
    public void Advise_WriteBound_ShardsForOneMebibytePerShardPlusHeadroom()
    {
        var advice = ShardCountAdvisor.Advise(new StreamLoad(WriteMegabytesPerSecond: 8, RecordsPerSecond: 2_000, StandardConsumers: 1, Headroom: 0.25));

        Assert.Equal(10, advice.Shards);
        Assert.Equal("write 1 MiB/s per shard", advice.BindingLimit);
    }

    [Fact]
    public void Advise_ManySmallRecords_BoundByTheRecordLimit()
    {
        var advice = ShardCountAdvisor.Advise(new StreamLoad(1, 12_000, 1, Headroom: 0));

        Assert.Equal(12, advice.Shards);
        Assert.Equal("write 1,000 records/s per shard", advice.BindingLimit);
    }

    [Fact]
    public void Advise_ThreeStandardConsumers_BoundBySharedReads_AndEfoConsumersAddNothing()
    {
        var shared = ShardCountAdvisor.Advise(new StreamLoad(4, 1_000, StandardConsumers: 3, Headroom: 0));
        var efo = ShardCountAdvisor.Advise(new StreamLoad(4, 1_000, StandardConsumers: 0, EnhancedFanOutConsumers: 3, Headroom: 0));

        Assert.Equal(6, shared.Shards);
        Assert.Equal("shared read 2 MiB/s per shard", shared.BindingLimit);
        Assert.Equal(4, efo.Shards);
        Assert.Contains("enhanced fan-out", efo.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Advise_NoLoad_OneShard()
    {
        Assert.Equal(1, ShardCountAdvisor.Advise(new StreamLoad(0, 0, 0)).Shards);
    }

    [Fact]
    public void Advise_NegativeLoad_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardCountAdvisor.Advise(new StreamLoad(-1, 0, 0)));
    }
}
