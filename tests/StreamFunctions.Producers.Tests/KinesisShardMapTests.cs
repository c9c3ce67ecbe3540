using System.Text;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Producers.Placement;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Producers.Tests;

public sealed class KinesisShardMapTests
{
    [Fact]
    public async Task Route_ExplicitHashKey_WinsOverThePartitionKey()
    {
        using var kinesis = FaultInjectingKinesis.OnTempFolder();
        await kinesis.CreateStreamAsync(new CreateStreamRequest("s", 4));
        var sut = new KinesisShardMap(kinesis, "s");
        await sut.RefreshAsync();

        Assert.Equal(sut.OpenShards[^1].ShardId, sut.Route("any", HashKeys.Format(UInt128.MaxValue)).ShardId);
        Assert.Equal(sut.OpenShards[0].ShardId, sut.Route("any", "0").ShardId);
    }

    [Fact]
    public async Task Refresh_AfterASplit_RoutesToTheChildren()
    {
        using var kinesis = FaultInjectingKinesis.OnTempFolder();
        await kinesis.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var sut = new KinesisShardMap(kinesis, "s");
        await sut.RefreshAsync();
        await kinesis.SplitShardAsync(new SplitShardRequest("s", sut.OpenShards[0].ShardId, UInt128.One << 127));

        await sut.RefreshAsync();

        Assert.Equal(2, sut.OpenShards.Count);
        Assert.Equal(sut.OpenShards[1].ShardId, sut.RouteHashKey(UInt128.One << 127).ShardId);
        Assert.Equal(sut.OpenShards[0].ShardId, sut.RouteHashKey((UInt128.One << 127) - 1).ShardId);
    }

    [Fact]
    public void Route_BeforeRefresh_ThrowsAClearError()
    {
        using var kinesis = FaultInjectingKinesis.OnTempFolder();
        var sut = new KinesisShardMap(kinesis, "s");

        Assert.Contains("RefreshAsync", Assert.Throws<InvalidOperationException>(() => sut.Route("k")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RouteMany_TenThousandKeysOver1000Shards_EqualsRouteForShortLongAndNonAsciiKeys()
    {
        using var kinesis = FaultInjectingKinesis.OnTempFolder(maxShardsPerStream: 1000);
        await kinesis.CreateStreamAsync(new CreateStreamRequest("s", 1000));
        var sut = new KinesisShardMap(kinesis, "s");
        await sut.RefreshAsync();
        var random = new Random(11);
        var alphabet = "abcXYZ019-_é日本🙂";
        var keys = Enumerable.Range(0, 10_000)
            .Select(i => new string([.. Enumerable.Range(0, 1 + random.Next(i % 10 == 0 ? 256 : 24)).Select(_ => alphabet[random.Next(alphabet.Length)])]))
            .Select(k => char.IsHighSurrogate(k[^1]) ? k[..^1] + "x" : k)
            .ToList();

        var batch = new Shard[keys.Count];
        sut.RouteMany(keys, batch);

        Assert.All(Enumerable.Range(0, keys.Count), i => Assert.Same(sut.Route(keys[i]), batch[i]));
        Assert.All(Enumerable.Range(0, keys.Count), i => Assert.True(batch[i].HashKeyRange.Contains(HashKeys.FromPartitionKey(keys[i]))));
        Assert.True(batch.Select(s => s.ShardId).Distinct().Count() > 900);
    }

    [Fact]
    public async Task RouteHashKey_ShardBoundaries_GoToTheShardHoldingThem()
    {
        using var kinesis = FaultInjectingKinesis.OnTempFolder();
        await kinesis.CreateStreamAsync(new CreateStreamRequest("s", 7));
        var sut = new KinesisShardMap(kinesis, "s");
        await sut.RefreshAsync();
        foreach (var shard in sut.OpenShards)
        {
            Assert.Same(shard, sut.RouteHashKey(shard.HashKeyRange.StartingHashKey));
            Assert.Same(shard, sut.RouteHashKey(shard.HashKeyRange.EndingHashKey));
        }
    }
}

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class KinesisShardMapEmulatorTests(LocalAwsFixture aws) : IDisposable
{
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);

    public void Dispose() => _kinesis.Dispose();

    [Fact]
    public async Task Route_TenThousandRandomKeys_EqualsTheEmulatorsPlacement()
    {
        var stream = LocalAwsFixture.UniqueName("sfn-routing");
        await _kinesis.CreateActiveAsync(stream, 5);

        var sut = new KinesisShardMap(_kinesis, stream);
        await sut.RefreshAsync();
        var random = new Random(7);
        var keys = Enumerable.Range(0, 10_000).Select(_ => Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))[..(1 + random.Next(16))]).ToList();

        var mismatches = 0;
        foreach (var chunk in keys.Chunk(500))
        {
            var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(stream, [.. chunk.Select(k => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes("x"), k))]));
            var batch = new Shard[chunk.Length];
            sut.RouteMany(chunk, batch);
            mismatches += chunk.Where((k, i) => put.Records[i].ShardId != sut.Route(k).ShardId || put.Records[i].ShardId != batch[i].ShardId).Count();
        }

        Assert.Equal(0, mismatches);
        await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(stream));
    }
}
