using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Exceptions;
using StreamFunctions.Local.StreamLog.Kinesis;

namespace StreamFunctions.Local.StreamLog.Tests.Kinesis;

public sealed class DurabilityTests : EmbeddedKinesisTestBase
{
    [Fact]
    public async Task Reopen_KeepsStreamsShardsLineageAndRecords()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 2));
        var before = await Put("s", "before", "k", "0");
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), UInt128.One << 64));
        var after = await Put("s", "after", "k", "0");
        var shards = await AllShards("s");

        Reopen();

        Assert.Equal(shards, await AllShards("s"));
        var (parent, end) = await ReadAll(await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon));
        Assert.Equal(["before"], parent.Select(Text));
        Assert.Equal(before.SequenceNumber, parent[0].SequenceNumber);
        Assert.Equal(2, end.ChildShards!.Count);
        var (child, _) = await ReadAll(await Iterator("s", after.ShardId, ShardIteratorType.TrimHorizon));
        Assert.Equal(["after"], child.Select(Text));
    }

    [Fact]
    public async Task Reopen_NewSequenceNumbersKeepIncreasing()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        var before = await Put("s", "a");

        Reopen();
        var after = await Put("s", "b");

        Assert.True(SequenceNumbers.Compare(after.SequenceNumber, before.SequenceNumber) > 0);
    }

    [Fact]
    public async Task Reopen_IteratorIssuedBefore_StillReads()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        await Put("s", "a");
        var iterator = await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon);

        Reopen();

        Assert.Equal("a", Text(Assert.Single((await Sut.GetRecordsAsync(new GetRecordsRequest(iterator))).Records)));
    }

    [Fact]
    public void Open_FolderAlreadyOpen_ThrowsLockedNamingTheFolder()
    {
        var error = Assert.Throws<StreamLogLockedException>(() => EmbeddedKinesis.Open(Options, Time));

        Assert.Equal(Directory, error.Directory);
        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_AfterDispose_TakesTheLockAgain()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        Reopen();
        Assert.Equal(1, (await Sut.DescribeStreamSummaryAsync("s")).OpenShardCount);
    }

    [Fact]
    public async Task GetRecords_RecordsOlderThanRetention_AreNotReturned()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        Sut.SetRetentionPeriod("s", TimeSpan.FromHours(1));
        await Put("s", "old");
        Time.Advance(TimeSpan.FromMinutes(50));
        await Put("s", "young");
        Time.Advance(TimeSpan.FromMinutes(11));

        var (records, _) = await ReadAll(await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon));

        Assert.Equal(["young"], records.Select(Text));
        Assert.Equal(1, (await Sut.DescribeStreamSummaryAsync("s")).RetentionPeriodHours);
    }

    [Fact]
    public async Task ApplyRetention_DropsWholeExpiredSegmentsAndKeepsTheRest()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        Sut.SetRetentionPeriod("s", TimeSpan.FromHours(1));
        for (var i = 0; i < 100; i++)
        {
            await Sut.PutRecordAsync(new PutRecordRequest("s", new byte[500], "k"));
        }

        Time.Advance(TimeSpan.FromHours(2));
        await Put("s", "young");
        var files = System.IO.Directory.GetFiles(Directory, "*.log", SearchOption.AllDirectories).Length;

        var dropped = Sut.ApplyRetention();

        Assert.True(dropped > 0);
        Assert.True(System.IO.Directory.GetFiles(Directory, "*.log", SearchOption.AllDirectories).Length < files);
        var (records, _) = await ReadAll(await Iterator("s", ShardIds.Format(0), ShardIteratorType.TrimHorizon));
        Assert.Equal(["young"], records.Select(Text));
    }

    [Fact]
    public async Task ApplyRetention_ClosedShardPastRetention_DisappearsFromListShards()
    {
        await Sut.CreateStreamAsync(new CreateStreamRequest("s", 1));
        Sut.SetRetentionPeriod("s", TimeSpan.FromHours(1));
        await Sut.SplitShardAsync(new SplitShardRequest("s", ShardIds.Format(0), UInt128.One << 127));
        Time.Advance(TimeSpan.FromMinutes(59));
        Sut.ApplyRetention();
        Assert.Equal(3, (await AllShards("s")).Count);

        Time.Advance(TimeSpan.FromMinutes(2));
        Sut.ApplyRetention();

        Assert.Equal([ShardIds.Format(1), ShardIds.Format(2)], (await AllShards("s")).Select(s => s.ShardId));
        Reopen();
        Assert.Equal(2, (await AllShards("s")).Count);
    }
}
