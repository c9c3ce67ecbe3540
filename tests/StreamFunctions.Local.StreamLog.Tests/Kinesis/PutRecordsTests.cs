using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.StreamLog.Tests.Kinesis;

public sealed class PutRecordsTests : EmbeddedKinesisTestBase
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task CreateStream_WithShardCount_GivesTheRangesKinesisAssigns(int count)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", count));

        var shards = await AllShards("s");

        Assert.Equal(Enumerable.Range(0, count).Select(ShardIds.Format), shards.Select(s => s.ShardId));
        Assert.Equal(HashKeys.EvenSplit(count), shards.Select(s => s.HashKeyRange));
        Assert.All(shards, s => Assert.True(s.IsOpen && s.ParentShardId is null));
    }

    [Fact]
    public async Task CreateStream_NameTaken_ThrowsResourceInUse()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Assert.ThrowsAsync<KinesisResourceInUseException>(() => Sut.CreateStreamAsync(new CreateStreamRequest("s", 2)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    public async Task CreateStream_InvalidName_ThrowsInvalidArgument(string name)
    {
        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.CreateStreamAsync(new CreateStreamRequest(name, 1)));
        Assert.Contains("StreamName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateStream_ZeroShards_ThrowsInvalidArgument() =>
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.CreateStreamAsync(new CreateStreamRequest("s", 0)));

    [Fact]
    public async Task DescribeStreamSummary_NewStream_IsActiveWithArnRetentionAndShards()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("orders", 3));

        var summary = await Sut.DescribeStreamSummaryAsync("orders");

        Assert.Equal("arn:aws:kinesis:us-east-1:000000000000:stream/orders", summary.StreamArn);
        Assert.Equal(StreamStatus.Active, summary.StreamStatus);
        Assert.Equal(24, summary.RetentionPeriodHours);
        Assert.Equal(3, summary.OpenShardCount);
        Assert.Equal(Time.GetUtcNow(), summary.StreamCreationTimestamp);
    }

    [Fact]
    public async Task AnyCall_UnknownStream_ThrowsResourceNotFound()
    {
        await Assert.ThrowsAsync<KinesisResourceNotFoundException>(() => Sut.DescribeStreamSummaryAsync("missing"));
        await Assert.ThrowsAsync<KinesisResourceNotFoundException>(() => Put("missing", "x"));
    }

    [Fact]
    public async Task PutRecord_PartitionKey_GoesToTheShardOwningItsMd5()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 4));
        var shards = await AllShards("s");

        foreach (var key in new[] { "a", "b", "customer-42", "ünïcödé", "zzzz" })
        {
            var response = await Put("s", "data", key);
            var expected = shards.Single(s => s.HashKeyRange.Contains(HashKeys.FromPartitionKey(key)));
            Assert.Equal(expected.ShardId, response.ShardId);
        }
    }

    [Fact]
    public async Task PutRecord_ExplicitHashKey_WinsOverThePartitionKey()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 4));
        var last = (await AllShards("s"))[3];
        var key = Enumerable.Range(0, 100).Select(i => $"k{i}").First(k => !last.HashKeyRange.Contains(HashKeys.FromPartitionKey(k)));

        var response = await Put("s", "data", key, HashKeys.Format(last.HashKeyRange.StartingHashKey));

        Assert.Equal(last.ShardId, response.ShardId);
    }

    [Fact]
    public async Task PutRecords_ManyRecords_SequenceNumbersIncreaseAndAreUniqueAcrossShards()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 3));
        var entries = Enumerable.Range(0, 300).Select(i => new PutRecordsRequestEntry(Bytes($"r{i}"), $"key-{i}")).ToList();

        var response = await Sut.PutRecordsAsync(new PutRecordsRequest("s", entries));

        Assert.Equal(0, response.FailedRecordCount);
        Assert.Equal(300, response.Records.Select(r => r.SequenceNumber).Distinct().Count());
        foreach (var shard in response.Records.GroupBy(r => r.ShardId))
        {
            var sequence = shard.Select(r => r.SequenceNumber!).ToList();
            Assert.True(sequence.Zip(sequence.Skip(1)).All(p => SequenceNumbers.Compare(p.First, p.Second) < 0), $"not increasing on {shard.Key}");
        }
    }

    [Fact]
    public async Task PutRecords_RecordsOfOneShard_ReadBackInOrderWithKeysAndArrival()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var entries = Enumerable.Range(0, 50).Select(i => new PutRecordsRequestEntry(Bytes($"r{i}"), $"key-{i}")).ToList();
        var response = await Sut.PutRecordsAsync(new PutRecordsRequest("s", entries));

        var (records, _) = await ReadAll(await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon));

        Assert.Equal(entries.Select((e, i) => $"r{i}"), records.Select(Text));
        Assert.Equal(entries.Select(e => e.PartitionKey), records.Select(r => r.PartitionKey));
        Assert.Equal(response.Records.Select(r => r.SequenceNumber), records.Select(r => r.SequenceNumber));
        Assert.All(records, r => Assert.Equal(Time.GetUtcNow(), r.ApproximateArrivalTimestamp));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(501)]
    public async Task PutRecords_CountOutOfRange_ThrowsInvalidArgumentNamingTheCount(int count)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var entries = Enumerable.Range(0, count).Select(i => new PutRecordsRequestEntry(Bytes("x"), "k")).ToList();

        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.PutRecordsAsync(new PutRecordsRequest("s", entries)));

        Assert.Contains($"{count} records", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecords_RecordOver1MiB_ThrowsNamingTheEntry()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var entries = Enumerable.Range(0, 5).Select(i => new PutRecordsRequestEntry(new byte[i == 3 ? (1024 * 1024) : 10], "k")).ToList();

        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.PutRecordsAsync(new PutRecordsRequest("s", entries)));

        Assert.Contains("Records[3]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecord_Exactly1MiBWithKey_IsAccepted()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var response = await Sut.PutRecordAsync(new PutRecordRequest("s", new byte[(1024 * 1024) - 1], "k"));
        var (records, _) = await ReadAll(await Iterator("s", response.ShardId, ShardIteratorType.TrimHorizon));
        Assert.Equal((1024 * 1024) - 1, Assert.Single(records).Data.Length);
    }

    [Fact]
    public async Task PutRecords_Over5MiBInAll_ThrowsInvalidArgument()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var entries = Enumerable.Range(0, 6).Select(i => new PutRecordsRequestEntry(new byte[1000 * 1000], "k")).ToList();

        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.PutRecordsAsync(new PutRecordsRequest("s", entries)));

        Assert.Contains("5 MiB", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public async Task PutRecords_PartitionKeyLengthOutOfRange_ThrowsNamingTheEntry(int length)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var entries = new List<PutRecordsRequestEntry> { new(Bytes("a"), "k"), new(Bytes("b"), new string('p', length)) };

        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.PutRecordsAsync(new PutRecordsRequest("s", entries)));

        Assert.Contains("Records[1].PartitionKey", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("340282366920938463463374607431768211456")]
    [InlineData("12a")]
    public async Task PutRecords_BadExplicitHashKey_ThrowsNamingTheEntry(string hashKey)
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var entries = new List<PutRecordsRequestEntry> { new(Bytes("a"), "k", hashKey) };

        var error = await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.PutRecordsAsync(new PutRecordsRequest("s", entries)));

        Assert.Contains("Records[0].ExplicitHashKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutRecords_Rejected_WritesNothing()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var entries = new List<PutRecordsRequestEntry> { new(Bytes("a"), "k"), new(Bytes("b"), "") };
        await Assert.ThrowsAsync<KinesisInvalidArgumentException>(() => Sut.PutRecordsAsync(new PutRecordsRequest("s", entries)));

        var (records, _) = await ReadAll(await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon));

        Assert.Empty(records);
    }

    [Fact]
    public async Task DeleteStream_ThenCreateAgain_StartsEmpty()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Put("s", "old");
        await Sut.DeleteStreamAsync(new DeleteStreamRequest("s"));
        await Assert.ThrowsAsync<KinesisResourceNotFoundException>(() => Sut.DescribeStreamSummaryAsync("s"));

        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var (records, _) = await ReadAll(await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon));

        Assert.Empty(records);
    }
}
