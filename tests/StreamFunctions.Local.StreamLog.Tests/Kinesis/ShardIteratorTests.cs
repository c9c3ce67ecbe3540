using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.StreamLog.Tests.Kinesis;

public sealed class ShardIteratorTests : EmbeddedKinesisTestBase
{
    private static readonly string Shard0 = ShardIds.Format(0);

    private async Task<List<PutRecordResponse>> PutSeconds(int count)
    {
        var responses = new List<PutRecordResponse>();
        for (var i = 0; i < count; i++)
        {
            responses.Add(await Put("s", $"r{i}", "k"));
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        return responses;
    }

    [Fact]
    public async Task TrimHorizon_ReadsEveryRecordFromTheOldest()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await PutSeconds(5);

        var (records, _) = await ReadAll(await Iterator("s", Shard0, ShardIteratorType.TrimHorizon));

        Assert.Equal(["r0", "r1", "r2", "r3", "r4"], records.Select(Text));
    }

    [Fact]
    public async Task Latest_ReadsOnlyRecordsPutAfterIt()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await PutSeconds(3);
        var iterator = await Iterator("s", Shard0, ShardIteratorType.Latest);
        await Put("s", "new", "k");

        var (records, _) = await ReadAll(iterator);

        Assert.Equal("new", Text(Assert.Single(records)));
    }

    [Fact]
    public async Task AtAndAfterSequenceNumber_StartAtAndJustAfterTheRecord()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var put = await PutSeconds(400); // several index blocks and segments

        var (at, _) = await ReadAll(await Iterator("s", Shard0, ShardIteratorType.AtSequenceNumber, put[250].SequenceNumber));
        var (after, _) = await ReadAll(await Iterator("s", Shard0, ShardIteratorType.AfterSequenceNumber, put[250].SequenceNumber));

        Assert.Equal(Enumerable.Range(250, 150).Select(i => $"r{i}"), at.Select(Text));
        Assert.Equal(Enumerable.Range(251, 149).Select(i => $"r{i}"), after.Select(Text));
    }

    [Fact]
    public async Task AtSequenceNumber_ShardsStartingSequenceNumber_ReadsFromTheFirstRecord()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await PutSeconds(3);
        var start = (await AllShards("s"))[0].SequenceNumberRange.StartingSequenceNumber;

        var (records, _) = await ReadAll(await Iterator("s", Shard0, ShardIteratorType.AtSequenceNumber, start));

        Assert.Equal(3, records.Count);
    }

    [Fact]
    public async Task AfterSequenceNumber_OfTheNewestRecord_ReadsNothingUntilMoreArrive()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var put = await PutSeconds(3);
        var iterator = await Iterator("s", Shard0, ShardIteratorType.AfterSequenceNumber, put[^1].SequenceNumber);

        var empty = await Sut.GetRecordsAsync(new GetRecordsRequest(iterator));
        await Put("s", "later", "k");
        var next = await Sut.GetRecordsAsync(new GetRecordsRequest(empty.NextShardIterator!));

        Assert.Empty(empty.Records);
        Assert.Equal("later", Text(Assert.Single(next.Records)));
    }

    [Fact]
    public async Task AtSequenceNumber_FromAnotherShard_ThrowsInvalidArgument()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 2));
        var shards = await AllShards("s");
        var onSecond = await Put("s", "x", "k", HashKeys.Format(shards[1].HashKeyRange.StartingHashKey));

        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() =>
            Iterator("s", shards[0].ShardId, ShardIteratorType.AtSequenceNumber, onSecond.SequenceNumber));

        Assert.Contains(onSecond.SequenceNumber, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("abc")]
    public async Task AtSequenceNumber_MissingOrMalformed_ThrowsInvalidArgument(string? sequence)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Iterator("s", Shard0, ShardIteratorType.AtSequenceNumber, sequence));
    }

    [Fact]
    public async Task AtTimestamp_StartsAtTheFirstRecordThatArrivedAtOrAfterIt()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var start = Time.GetUtcNow();
        await PutSeconds(300);

        var (records, _) = await ReadAll(await Iterator("s", Shard0, ShardIteratorType.AtTimestamp, timestamp: start.AddSeconds(200)));
        var (between, _) = await ReadAll(await Iterator("s", Shard0, ShardIteratorType.AtTimestamp, timestamp: start.AddSeconds(10.5)));

        Assert.Equal("r200", Text(records[0]));
        Assert.Equal(100, records.Count);
        Assert.Equal("r11", Text(between[0]));
    }

    [Fact]
    public async Task AtTimestamp_BeforeTheOldestRecord_ReadsFromTheOldest()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var start = Time.GetUtcNow();
        await PutSeconds(300);

        var (records, _) = await ReadAll(await Iterator("s", Shard0, ShardIteratorType.AtTimestamp, timestamp: start.AddHours(-1)));

        Assert.Equal("r0", Text(records[0]));
        Assert.Equal(300, records.Count);
    }

    [Fact]
    public async Task AtTimestamp_AfterTheNewestRecord_ReadsOnlyRecordsArrivingFromThen()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var start = Time.GetUtcNow();
        await PutSeconds(10);
        var iterator = await Iterator("s", Shard0, ShardIteratorType.AtTimestamp, timestamp: start.AddSeconds(60));

        var (before, _) = await ReadAll(iterator);
        Time.Advance(TimeSpan.FromSeconds(60));
        await Put("s", "later", "k");
        var (after, _) = await ReadAll(iterator);

        Assert.Empty(before);
        Assert.Equal(["later"], after.Select(Text));
    }

    [Fact]
    public async Task AtTimestamp_WithoutTimestamp_ThrowsInvalidArgument()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Iterator("s", Shard0, ShardIteratorType.AtTimestamp));
    }

    [Fact]
    public async Task GetShardIterator_UnknownShard_ThrowsResourceNotFound()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Assert.ThrowsAsync<KinesisResourceNotFoundException>(() => Iterator("s", ShardIds.Format(5), ShardIteratorType.TrimHorizon));
    }

    [Fact]
    public async Task GetRecords_Limit_ReturnsThatManyAndTheNextIteratorContinues()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await PutSeconds(10);

        var first = await Sut.GetRecordsAsync(new GetRecordsRequest(await Iterator("s", Shard0, ShardIteratorType.TrimHorizon), 4));
        var second = await Sut.GetRecordsAsync(new GetRecordsRequest(first.NextShardIterator!, 4));

        Assert.Equal(["r0", "r1", "r2", "r3"], first.Records.Select(Text));
        Assert.Equal(["r4", "r5", "r6", "r7"], second.Records.Select(Text));
        Assert.True(first.MillisBehindLatest > 0);
    }

    [Fact]
    public async Task GetRecords_CaughtUp_MillisBehindLatestIsZero()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await PutSeconds(3);

        var page = await Sut.GetRecordsAsync(new GetRecordsRequest(await Iterator("s", Shard0, ShardIteratorType.TrimHorizon)));

        Assert.Equal(3, page.Records.Count);
        Assert.Equal(0, page.MillisBehindLatest);
        Assert.NotNull(page.NextShardIterator);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public async Task GetRecords_LimitOutOfRange_ThrowsInvalidArgument(int limit)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var iterator = await Iterator("s", Shard0, ShardIteratorType.TrimHorizon);
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.GetRecordsAsync(new GetRecordsRequest(iterator, limit)));
    }

    [Fact]
    public async Task GetRecords_IteratorOlderThanFiveMinutes_ThrowsExpiredIterator()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var iterator = await Iterator("s", Shard0, ShardIteratorType.TrimHorizon);

        Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        var fresh = await Sut.GetRecordsAsync(new GetRecordsRequest(iterator));
        Time.Advance(TimeSpan.FromMilliseconds(2));

        await Assert.ThrowsAsync<KinesisExpiredIteratorException>(() => Sut.GetRecordsAsync(new GetRecordsRequest(iterator)));
        Assert.NotNull((await Sut.GetRecordsAsync(new GetRecordsRequest(fresh.NextShardIterator!))).NextShardIterator);
    }

    [Theory]
    [InlineData("not-an-iterator")]
    [InlineData("")]
    public async Task GetRecords_MadeUpIterator_ThrowsInvalidArgument(string iterator) =>
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.GetRecordsAsync(new GetRecordsRequest(iterator)));

    [Fact]
    public async Task GetRecords_AfterStreamDeleted_ThrowsResourceNotFound()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var iterator = await Iterator("s", Shard0, ShardIteratorType.TrimHorizon);
        await Sut.DeleteStreamAsync(new DeleteStreamRequest("s"));

        await Assert.ThrowsAsync<KinesisResourceNotFoundException>(() => Sut.GetRecordsAsync(new GetRecordsRequest(iterator)));
    }

    [Fact]
    public async Task GetRecords_ConcurrentWithPutRecords_ReadersSeeEveryRecordInOrder()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var iterator = await Iterator("s", Shard0, ShardIteratorType.TrimHorizon);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await Sut.PutRecordsAsync(new PutRecordsRequest("s", [new PutRecordsRequestEntry(Bytes($"r{i}"), "k")]));
            }
        });

        var seen = new List<string>();
        while (seen.Count < 200)
        {
            var page = await Sut.GetRecordsAsync(new GetRecordsRequest(iterator));
            seen.AddRange(page.Records.Select(Text));
            iterator = page.NextShardIterator!;
        }

        await writer;
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"r{i}"), seen);
    }
}
