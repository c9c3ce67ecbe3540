using System.Globalization;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.BatchProcessing;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.FailureHandler.Tests;

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class RedriveTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-redrive");
    private readonly string _stream = LocalAwsFixture.UniqueName("sfn-redrive");

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        await _kinesis.CreateActiveAsync(_stream, 1);

        var archive = new S3PoisonRecordArchive(_s3, _bucket, "dlq");
        var arn = (await _kinesis.DescribeStreamSummaryAsync(_stream)).StreamArn;
        for (var i = 0; i < 5; i++)
        {
            await archive.ArchiveAsync(new PoisonRecord(
                arn, "shardId-000000000000", (1000 + i).ToString(CultureInfo.InvariantCulture), "key-" + i, Encoding.UTF8.GetBytes("payload-" + i),
                i < 3 ? "System.Text.Json.JsonReaderException" : "System.TimeoutException", "failed", i < 3 ? "Poison" : "RetryBudgetExhausted", 1, "$LATEST",
                new DateTimeOffset(2026, 11, 23, 5, i, 0, TimeSpan.Zero)));
        }

        await archive.ArchiveAsync(new PoisonRecord(arn, "shardId-000000000000", "1-2", null, ReadOnlyMemory<byte>.Empty, "Lambda.Unhandled", "gone", OnFailureRecovery.DataExpired, 0, null, new DateTimeOffset(2026, 11, 23, 6, 0, 0, TimeSpan.Zero)));
    }

    public async Task DisposeAsync()
    {
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        foreach (var o in listed.S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
        await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(_stream));
    }

    public void Dispose()
    {
        _kinesis.Dispose();
        _s3.Dispose();
    }

    [Fact]
    public async Task Redrive_Twice_PutsEveryRecordBackExactlyOnce()
    {
        var sut = new DlqArchive(_s3, _bucket, "dlq");

        var dry = await sut.RedriveAsync(_kinesis, dryRun: true);
        var first = await sut.RedriveAsync(_kinesis);
        var second = await sut.RedriveAsync(_kinesis);

        Assert.Equal(new RedriveReport(6, 5, 0, 1, DryRun: true), dry);
        Assert.Equal(new RedriveReport(6, 5, 0, 1, DryRun: false), first);
        Assert.Equal(new RedriveReport(6, 0, 5, 1, DryRun: false), second);
        var records = await ReadStreamAsync();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => ("key-" + i, "payload-" + i)), records.Select(r => (r.PartitionKey, Encoding.UTF8.GetString(r.Data.Span))).Order());
    }

    [Fact]
    public async Task Redrive_FilteredByErrorTypeAndTime_PutsBackOnlyThose()
    {
        var sut = new DlqArchive(_s3, _bucket, "dlq");

        var report = await sut.RedriveAsync(_kinesis, filter: new ArchiveFilter(Since: new DateTimeOffset(2026, 11, 23, 5, 1, 0, TimeSpan.Zero), ErrorType: "JsonReaderException"));

        Assert.Equal(2, report.Redriven);
        Assert.Equal(["payload-1", "payload-2"], (await ReadStreamAsync()).Select(r => Encoding.UTF8.GetString(r.Data.Span)).Order());
        var listed = await sut.ListAsync();
        Assert.Equal(2, listed.Count(r => r.Redriven));
    }

    [Fact]
    public async Task List_Archive_ShowsPayloadsAndExpiredPointers()
    {
        var listed = await new DlqArchive(_s3, _bucket, "dlq").ListAsync();

        Assert.Equal(6, listed.Count);
        Assert.Single(listed, r => r.Status == "expired" && r.Payload.IsEmpty);
        Assert.Equal("payload-3", Encoding.UTF8.GetString(listed.Single(r => r.PartitionKey == "key-3").Payload.Span));
    }

    private async Task<List<KinesisRecord>> ReadStreamAsync()
    {
        var shard = (await _kinesis.ListShardsAsync(new ListShardsRequest(_stream))).Shards.Single().ShardId;
        var iterator = (await _kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(_stream, shard, ShardIteratorType.TrimHorizon))).ShardIterator;
        return [.. (await _kinesis.GetRecordsAsync(new GetRecordsRequest(iterator))).Records];
    }
}
