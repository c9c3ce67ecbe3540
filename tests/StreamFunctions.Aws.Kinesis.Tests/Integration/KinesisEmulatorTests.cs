using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Testing;

namespace StreamFunctions.Aws.Kinesis.Tests.Integration;

/// <summary>The client against the Kinesis emulator (kinesis-local, the engine LocalStack uses), signed and over HTTP.</summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class KinesisEmulatorTests(LocalAwsFixture aws) : IDisposable
{
    private readonly KinesisClient _client = KinesisClient.Create(aws.Settings);

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task CreateStream_ThreeShards_ActiveWithKinesisHashKeyRanges()
    {
        var stream = await CreateActiveStreamAsync(3);

        var summary = await _client.DescribeStreamSummaryAsync(stream);
        var shards = await ListAllShardsAsync(stream, pageSize: 1);

        Assert.Equal(StreamStatus.Active, summary.StreamStatus);
        Assert.Equal(3, summary.OpenShardCount);
        Assert.Equal(stream, KinesisArn.Parse(summary.StreamArn).StreamName);
        Assert.Equal(HashKeys.EvenSplit(3), shards.Select(s => s.HashKeyRange).ToArray());
        await _client.DeleteStreamAsync(new DeleteStreamRequest(stream));
    }

    [Fact]
    public async Task PutRecords_ThenGetRecords_SameDataInOrderPerShard()
    {
        var stream = await CreateActiveStreamAsync(2);
        var entries = Enumerable.Range(0, 50).Select(i => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes($"record-{i}"), $"key-{i % 7}")).ToList();

        var put = await _client.PutRecordsAsync(new PutRecordsRequest(stream, entries));

        Assert.Equal(0, put.FailedRecordCount);
        var read = new Dictionary<string, List<KinesisRecord>>();
        foreach (var shard in await ListAllShardsAsync(stream, pageSize: 10))
        {
            read[shard.ShardId] = await ReadAllAsync(stream, shard.ShardId, ShardIteratorType.TrimHorizon);
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var shardId = put.Records[i].ShardId!;
            var record = Assert.Single(read[shardId], r => r.SequenceNumber == put.Records[i].SequenceNumber);
            Assert.Equal(entries[i].Data.ToArray(), record.Data.ToArray());
            Assert.Equal(entries[i].PartitionKey, record.PartitionKey);
        }

        Assert.All(read.Values, records => Assert.Equal(records.Select(r => r.SequenceNumber).Order(Comparer<string>.Create(SequenceNumbers.Compare)), records.Select(r => r.SequenceNumber)));
    }

    [Fact]
    public async Task PutRecord_ExplicitHashKey_RoutesToTheShardOwningIt()
    {
        var stream = await CreateActiveStreamAsync(2);
        var shards = await ListAllShardsAsync(stream, pageSize: 10);

        var response = await _client.PutRecordAsync(new PutRecordRequest(stream, "x"u8.ToArray(), "any", ExplicitHashKey: HashKeys.Format(UInt128.MaxValue)));

        Assert.Equal(shards.Single(s => s.HashKeyRange.Contains(UInt128.MaxValue)).ShardId, response.ShardId);
    }

    [Fact]
    public async Task GetShardIterator_AtAndAfterSequenceNumber_StartAtAndAfterTheRecord()
    {
        var stream = await CreateActiveStreamAsync(1);
        var sequences = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sequences.Add((await _client.PutRecordAsync(new PutRecordRequest(stream, new[] { (byte)i }, "pk"))).SequenceNumber);
        }

        var shardId = (await ListAllShardsAsync(stream, 10)).Single().ShardId;
        var at = await ReadAllAsync(stream, shardId, ShardIteratorType.AtSequenceNumber, sequences[1]);
        var after = await ReadAllAsync(stream, shardId, ShardIteratorType.AfterSequenceNumber, sequences[1]);

        Assert.Equal(sequences[1..], at.Select(r => r.SequenceNumber));
        Assert.Equal(sequences[2..], after.Select(r => r.SequenceNumber));
    }

    [Fact]
    public async Task GetShardIterator_AtTimestamp_SkipsEarlierRecords()
    {
        var stream = await CreateActiveStreamAsync(1);
        await _client.PutRecordAsync(new PutRecordRequest(stream, "early"u8.ToArray(), "pk"));
        var shardId = (await ListAllShardsAsync(stream, 10)).Single().ShardId;
        var early = (await ReadAllAsync(stream, shardId, ShardIteratorType.TrimHorizon)).Single();
        await Task.Delay(1100);
        await _client.PutRecordAsync(new PutRecordRequest(stream, "late"u8.ToArray(), "pk"));

        var fromLate = await ReadAllAsync(stream, shardId, ShardIteratorType.AtTimestamp, timestamp: early.ApproximateArrivalTimestamp.AddMilliseconds(600));

        Assert.Equal("late"u8.ToArray(), Assert.Single(fromLate).Data.ToArray());
    }

    [Fact]
    public async Task SplitShard_ThenMerge_ListShardsShowsLineage()
    {
        var stream = await CreateActiveStreamAsync(1);
        var parent = (await ListAllShardsAsync(stream, 10)).Single();

        await _client.SplitShardAsync(new SplitShardRequest(stream, parent.ShardId, UInt128.One << 127));
        await WaitActiveAsync(stream);
        var afterSplit = await ListAllShardsAsync(stream, 10);
        var children = afterSplit.Where(s => s.ParentShardId == parent.ShardId).OrderBy(s => s.HashKeyRange.StartingHashKey).ToList();

        Assert.Equal(2, children.Count);
        Assert.False(afterSplit.Single(s => s.ShardId == parent.ShardId).IsOpen);
        Assert.Equal(UInt128.One << 127, children[1].HashKeyRange.StartingHashKey);

        await _client.MergeShardsAsync(new MergeShardsRequest(stream, children[0].ShardId, children[1].ShardId));
        await WaitActiveAsync(stream);
        var merged = (await ListAllShardsAsync(stream, 10)).Single(s => s.IsOpen);

        Assert.Equal(children[0].ShardId, merged.ParentShardId);
        Assert.Equal(children[1].ShardId, merged.AdjacentParentShardId);
        Assert.Equal(new HashKeyRange(UInt128.Zero, UInt128.MaxValue), merged.HashKeyRange);
    }

    [Fact]
    public async Task GetRecords_ClosedParentReadToItsEnd_EndsWithChildShardsAndNoIterator()
    {
        var stream = await CreateActiveStreamAsync(1);
        var parent = (await ListAllShardsAsync(stream, 10)).Single();
        await _client.PutRecordAsync(new PutRecordRequest(stream, "before"u8.ToArray(), "pk"));
        await _client.SplitShardAsync(new SplitShardRequest(stream, parent.ShardId, UInt128.One << 127));
        await WaitActiveAsync(stream);

        var iterator = (await _client.GetShardIteratorAsync(new GetShardIteratorRequest(stream, parent.ShardId, ShardIteratorType.TrimHorizon))).ShardIterator;
        GetRecordsResponse page;
        var records = new List<KinesisRecord>();
        do
        {
            page = await _client.GetRecordsAsync(new GetRecordsRequest(iterator));
            records.AddRange(page.Records);
            iterator = page.NextShardIterator!;
        }
        while (page.NextShardIterator is not null);

        Assert.Equal("before"u8.ToArray(), Assert.Single(records).Data.ToArray());
        Assert.Equal(2, page.ChildShards?.Count);
        Assert.All(page.ChildShards!, c => Assert.Equal([parent.ShardId], c.ParentShards));
    }

    [Fact]
    public async Task UpdateShardCount_Doubling_OpensTwiceTheShards()
    {
        var stream = await CreateActiveStreamAsync(2);

        var response = await _client.UpdateShardCountAsync(new UpdateShardCountRequest(stream, 4));
        await WaitActiveAsync(stream);

        Assert.Equal(2, response.CurrentShardCount);
        Assert.Equal(4, response.TargetShardCount);
        Assert.Equal(4, (await _client.DescribeStreamSummaryAsync(stream)).OpenShardCount);
    }

    [Fact]
    public async Task DescribeStreamSummary_UnknownStream_ThrowsResourceNotFound()
    {
        var error = await Assert.ThrowsAsync<KinesisResourceNotFoundException>(() => _client.DescribeStreamSummaryAsync(LocalAwsFixture.UniqueName("missing")));

        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task CreateStream_ExistingName_ThrowsResourceInUse()
    {
        var stream = await CreateActiveStreamAsync(1);

        await Assert.ThrowsAsync<KinesisResourceInUseException>(() => _client.CreateStreamAsync(new CreateStreamRequest(stream, 1)));
    }

    [Fact]
    public async Task GetShardIterator_AtSequenceNumberWithoutOne_ThrowsInvalidArgument()
    {
        var stream = await CreateActiveStreamAsync(1);
        var shardId = (await ListAllShardsAsync(stream, 10)).Single().ShardId;

        await Assert.ThrowsAnyAsync<KinesisException>(() => _client.GetShardIteratorAsync(new GetShardIteratorRequest(stream, shardId, ShardIteratorType.AtSequenceNumber)));
    }

    [Fact]
    public async Task RegisterStreamConsumer_ThenDescribeAndDeregister_RoundTrips()
    {
        var stream = await CreateActiveStreamAsync(1);
        var arn = (await _client.DescribeStreamSummaryAsync(stream)).StreamArn;

        var registered = await _client.RegisterStreamConsumerAsync(arn, "sfn-consumer");
        var described = await _client.DescribeStreamConsumerAsync(arn, "sfn-consumer");
        for (var i = 0; i < 200 && described.ConsumerStatus != "ACTIVE"; i++)
        {
            // A consumer is CREATING first; Kinesis refuses to deregister it until it is ACTIVE.
            await Task.Delay(50);
            described = await _client.DescribeStreamConsumerAsync(arn, "sfn-consumer");
        }

        await _client.DeregisterStreamConsumerAsync(arn, "sfn-consumer");

        Assert.Equal("sfn-consumer", registered.ConsumerName);
        Assert.Equal("CREATING", registered.ConsumerStatus);
        Assert.Equal("ACTIVE", described.ConsumerStatus);
        Assert.Equal(registered.ConsumerArn, described.ConsumerArn);
        Assert.Contains(":stream/" + stream + "/consumer/sfn-consumer", registered.ConsumerArn, StringComparison.Ordinal);
    }

    private async Task<string> CreateActiveStreamAsync(int shards)
    {
        var name = LocalAwsFixture.UniqueName("sfn-kinesis");
        await _client.CreateStreamAsync(new CreateStreamRequest(name, shards));
        await WaitActiveAsync(name);
        return name;
    }

    private Task WaitActiveAsync(string stream) => StreamSetup.WaitActiveAsync(_client, stream);

    private async Task<List<Shard>> ListAllShardsAsync(string stream, int pageSize)
    {
        var shards = new List<Shard>();
        var page = await _client.ListShardsAsync(new ListShardsRequest(stream, MaxResults: pageSize));
        shards.AddRange(page.Shards);
        while (page.NextToken is not null)
        {
            page = await _client.ListShardsAsync(new ListShardsRequest(NextToken: page.NextToken, MaxResults: pageSize));
            shards.AddRange(page.Shards);
        }

        return shards;
    }

    private async Task<List<KinesisRecord>> ReadAllAsync(string stream, string shardId, ShardIteratorType type, string? sequence = null, DateTimeOffset? timestamp = null)
    {
        var iterator = (await _client.GetShardIteratorAsync(new GetShardIteratorRequest(stream, shardId, type, sequence, timestamp))).ShardIterator;
        var records = new List<KinesisRecord>();
        for (var i = 0; i < 10 && iterator is not null; i++)
        {
            var page = await _client.GetRecordsAsync(new GetRecordsRequest(iterator, 1000));
            records.AddRange(page.Records);
            iterator = page.NextShardIterator;
            if (page.Records.Count == 0 && page.MillisBehindLatest == 0)
            {
                break;
            }
        }

        return records;
    }
}
