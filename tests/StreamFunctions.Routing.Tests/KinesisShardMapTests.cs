using System.Text;
using StreamFunctions.Kinesis;
using StreamFunctions.Streams;
using StreamFunctions.Streams.Model;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Routing.Tests;

public sealed class KinesisShardMapTests
{
    [Fact]
    public async Task Route_ExplicitHashKey_WinsOverThePartitionKey()
    {
        var kinesis = new InMemoryKinesis();
        await kinesis.CreateStreamAsync(new CreateStreamRequest("s", 4));
        var sut = new KinesisShardMap(kinesis, "s");
        await sut.RefreshAsync();

        Assert.Equal(sut.OpenShards[^1].ShardId, sut.Route("any", HashKeys.Format(UInt128.MaxValue)).ShardId);
        Assert.Equal(sut.OpenShards[0].ShardId, sut.Route("any", "0").ShardId);
    }

    [Fact]
    public async Task Refresh_AfterASplit_RoutesToTheChildren()
    {
        var kinesis = new InMemoryKinesis();
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
        var sut = new KinesisShardMap(new InMemoryKinesis(), "s");

        Assert.Contains("RefreshAsync", Assert.Throws<InvalidOperationException>(() => sut.Route("k")).Message, StringComparison.Ordinal);
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
        await _kinesis.CreateStreamAsync(new CreateStreamRequest(stream, 5));
        for (var i = 0; i < 200 && (await _kinesis.DescribeStreamSummaryAsync(stream)).StreamStatus != StreamStatus.Active; i++)
        {
            await Task.Delay(50);
        }

        var sut = new KinesisShardMap(_kinesis, stream);
        await sut.RefreshAsync();
        var random = new Random(7);
        var keys = Enumerable.Range(0, 10_000).Select(_ => Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()))[..(1 + random.Next(16))]).ToList();

        var mismatches = 0;
        foreach (var chunk in keys.Chunk(500))
        {
            var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(stream, [.. chunk.Select(k => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes("x"), k))]));
            mismatches += chunk.Where((k, i) => put.Records[i].ShardId != sut.Route(k).ShardId).Count();
        }

        Assert.Equal(0, mismatches);
        await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(stream));
    }
}
