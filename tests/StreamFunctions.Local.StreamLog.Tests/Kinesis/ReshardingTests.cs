using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.StreamLog.Tests.Kinesis;

public sealed class ReshardingTests : EmbeddedKinesisTestBase
{
    private static readonly UInt128 Half = UInt128.One << 127;

    [Fact]
    public async Task SplitShard_ClosesTheParentAndOpensTwoChildrenWithLineage()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var before = await Put("s", "before");

        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), Half));
        var shards = await AllShards("s");

        Assert.Equal(3, shards.Count);
        var parent = shards[0];
        Assert.False(parent.IsOpen);
        Assert.True(SequenceNumbers.Compare(parent.SequenceNumberRange.EndingSequenceNumber!, before.SequenceNumber) > 0);
        Assert.Equal(new HashKeyRange(UInt128.Zero, Half - 1), shards[1].HashKeyRange);
        Assert.Equal(new HashKeyRange(Half, UInt128.MaxValue), shards[2].HashKeyRange);
        Assert.All(shards.Skip(1), c => Assert.Equal(parent.ShardId, c.ParentShardId));
        Assert.All(shards.Skip(1), c => Assert.Null(c.AdjacentParentShardId));
        Assert.All(shards.Skip(1), c => Assert.True(SequenceNumbers.Compare(c.SequenceNumberRange.StartingSequenceNumber, parent.SequenceNumberRange.EndingSequenceNumber!) > 0));
        Assert.Equal(2, (await Sut.DescribeStreamSummaryAsync("s")).OpenShardCount);
    }

    [Fact]
    public async Task SplitShard_ThenPut_RoutesToTheChildrenWithLargerSequenceNumbers()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var before = await Put("s", "before");
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), Half));

        var low = await Put("s", "low", "k", "1");
        var high = await Put("s", "high", "k", HashKeys.Format(UInt128.MaxValue));

        Assert.Equal(ShardIds.Format(1), low.ShardId);
        Assert.Equal(ShardIds.Format(2), high.ShardId);
        Assert.True(SequenceNumbers.Compare(low.SequenceNumber, before.SequenceNumber) > 0);
    }

    [Fact]
    public async Task GetRecords_ClosedShardReadToItsEnd_ReturnsNullIteratorAndChildShards()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Put("s", "a");
        await Put("s", "b");
        var iterator = await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon);
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), Half));

        var first = await Sut.GetRecordsAsync(new GetRecordsRequest(iterator, 1));
        var last = await Sut.GetRecordsAsync(new GetRecordsRequest(first.NextShardIterator!));

        Assert.Null(first.ChildShards);
        Assert.Equal(["b"], last.Records.Select(Text));
        Assert.Null(last.NextShardIterator);
        Assert.Equal([ShardIds.Format(1), ShardIds.Format(2)], last.ChildShards!.Select(c => c.ShardId));
        Assert.All(last.ChildShards!, c => Assert.Equal([ShardIds.Format(0)], c.ParentShards));
        Assert.Equal(new HashKeyRange(UInt128.Zero, Half - 1), last.ChildShards![0].HashKeyRange);
    }

    [Fact]
    public async Task GetShardIterator_LatestOnAClosedShard_EndsAtOnceWithChildShards()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), Half));

        var page = await Sut.GetRecordsAsync(new GetRecordsRequest(await Iterator("s", ShardIds.Format(0), ShardIteratorType.Latest)));

        Assert.Null(page.NextShardIterator);
        Assert.Equal(2, page.ChildShards!.Count);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("340282366920938463463374607431768211456")]
    public async Task SplitShard_KeyNotStrictlyInsideTheRange_ThrowsInvalidArgument(string key)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 2));
        var at = UInt128.TryParse(key, out var parsed) ? parsed : UInt128.MaxValue;
        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), key == "0" ? at : Half + 5)));
        Assert.Contains("NewStartingHashKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SplitShard_ClosedShard_ThrowsInvalidArgument()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), Half));

        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), Half)));
    }

    [Fact]
    public async Task MergeShards_AdjacentShards_OpensOneChildWithBothParents()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 3));
        var ranges = HashKeys.EvenSplit(3);

        await Sut.MergeShardsAsync(new MergeShardsRequest("s", ShardIds.Format(2), ShardIds.Format(1)));
        var shards = await AllShards("s");

        var child = shards[3];
        Assert.Equal(ShardIds.Format(2), child.ParentShardId);
        Assert.Equal(ShardIds.Format(1), child.AdjacentParentShardId);
        Assert.Equal(new HashKeyRange(ranges[1].StartingHashKey, UInt128.MaxValue), child.HashKeyRange);
        Assert.False(shards[1].IsOpen);
        Assert.False(shards[2].IsOpen);
        Assert.True(shards[0].IsOpen);
        var page = await Sut.GetRecordsAsync(new GetRecordsRequest(await Iterator("s", ShardIds.Format(1), ShardIteratorType.TrimHorizon)));
        Assert.Equal([ShardIds.Format(2), ShardIds.Format(1)], Assert.Single(page.ChildShards!).ParentShards);
    }

    [Fact]
    public async Task MergeShards_NotAdjacent_ThrowsInvalidArgument()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 3));
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.MergeShardsAsync(new MergeShardsRequest("s", ShardIds.Format(0), ShardIds.Format(2))));
    }

    [Theory]
    [InlineData(2, 4)]
    [InlineData(4, 2)]
    [InlineData(3, 5)]
    [InlineData(5, 3)]
    [InlineData(1, 2)]
    public async Task UpdateShardCount_UniformScaling_OpenShardsHaveTheEvenRangesAndParents(int from, int to)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", from));
        await Put("s", "x");

        var response = await Sut.UpdateShardCountAsync(new UpdateShardCountRequest("s", to));
        var shards = await AllShards("s");
        var open = shards.Where(s => s.IsOpen).OrderBy(s => s.HashKeyRange.StartingHashKey).ToList();

        Assert.Equal((from, to), (response.CurrentShardCount, response.TargetShardCount));
        Assert.Equal(HashKeys.EvenSplit(to), open.Select(s => s.HashKeyRange));
        var ids = shards.Select(s => s.ShardId).ToHashSet();
        Assert.All(open, s => Assert.Contains(s.ParentShardId!, ids));
        Assert.All(shards.Where(s => !s.IsOpen), s => Assert.Contains(shards, c => c.ParentShardId == s.ShardId || c.AdjacentParentShardId == s.ShardId));
        Assert.Equal(to, (await Sut.DescribeStreamSummaryAsync("s")).OpenShardCount);
    }

    [Theory]
    [InlineData(2, 5)]
    [InlineData(5, 2)]
    public async Task UpdateShardCount_MoreThanDoubleOrLessThanHalf_ThrowsLimitExceeded(int from, int to)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", from));
        await Assert.ThrowsAsync<KinesisLimitExceededException>(() => Sut.UpdateShardCountAsync(new UpdateShardCountRequest("s", to)));
    }

    [Fact]
    public async Task ListShards_MaxResults_PagesWithNextTokenInShardIdOrder()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 5));

        var first = await Sut.ListShardsAsync(new ListShardsRequest("s", MaxResults: 2));
        var second = await Sut.ListShardsAsync(new ListShardsRequest(NextToken: first.NextToken));
        var third = await Sut.ListShardsAsync(new ListShardsRequest(NextToken: second.NextToken));

        Assert.Equal(
            Enumerable.Range(0, 5).Select(ShardIds.Format),
            first.Shards.Concat(second.Shards).Concat(third.Shards).Select(s => s.ShardId));
        Assert.Null(third.NextToken);
    }

    [Fact]
    public async Task ListShards_NextTokenWithStreamName_ThrowsInvalidArgument()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 3));
        var first = await Sut.ListShardsAsync(new ListShardsRequest("s", MaxResults: 1));

        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.ListShardsAsync(new ListShardsRequest("s", first.NextToken)));
    }

    [Fact]
    public async Task ListShards_NextTokenOlderThanFiveMinutes_ThrowsExpiredNextToken()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 3));
        var first = await Sut.ListShardsAsync(new ListShardsRequest("s", MaxResults: 1));
        Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(1));

        await Assert.ThrowsAsync<KinesisExpiredNextTokenException>(() => Sut.ListShardsAsync(new ListShardsRequest(NextToken: first.NextToken)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public async Task ListShards_MaxResultsOutOfRange_ThrowsInvalidArgument(int maxResults)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.ListShardsAsync(new ListShardsRequest("s", MaxResults: maxResults)));
    }

    [Fact]
    public async Task ListShards_Filters_SelectByLifeSpan()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 2)); // 0, 1 at t0
        var t0 = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromMinutes(10));
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), UInt128.One << 64)); // 0 closes at t1; 2, 3 open
        var t1 = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromMinutes(10));

        async Task<string[]> List(ShardFilter filter, string? exclusiveStart = null) =>
            [.. (await Sut.ListShardsAsync(new ListShardsRequest("s", ExclusiveStartShardId: exclusiveStart, ShardFilter: filter))).Shards.Select(s => s.ShardId[^1..])];

        Assert.Equal(["1", "2", "3"], await List(new ShardFilter(ShardFilterType.AtLatest)));
        Assert.Equal(["0", "1", "2", "3"], await List(new ShardFilter(ShardFilterType.FromTrimHorizon)));
        Assert.Equal(["0", "1"], await List(new ShardFilter(ShardFilterType.AtTrimHorizon)));
        Assert.Equal(["2", "3"], await List(new ShardFilter(ShardFilterType.AfterShardId, ShardIds.Format(1))));
        Assert.Equal(["0", "1"], await List(new ShardFilter(ShardFilterType.AtTimestamp, Timestamp: t0.AddMinutes(5))));
        Assert.Equal(["1", "2", "3"], await List(new ShardFilter(ShardFilterType.AtTimestamp, Timestamp: t1.AddMinutes(1))));
        Assert.Equal(["0", "1", "2", "3"], await List(new ShardFilter(ShardFilterType.FromTimestamp, Timestamp: t0.AddMinutes(5))));
        Assert.Equal(["1", "2", "3"], await List(new ShardFilter(ShardFilterType.FromTimestamp, Timestamp: t1.AddMinutes(1))));
        Assert.Equal(["2", "3"], await List(new ShardFilter(ShardFilterType.AtLatest), ShardIds.Format(1)));
    }

    [Fact]
    public async Task ListShards_FilterNeedingTimestampWithout_ThrowsInvalidArgument()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.ListShardsAsync(new ListShardsRequest("s", ShardFilter: new ShardFilter(ShardFilterType.AtTimestamp))));
    }
}
