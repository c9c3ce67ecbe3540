using System.Text;
using StreamFunctions.BatchProcessing;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Kinesis;

namespace StreamFunctions.FailureHandler.Tests;

/// <summary>
/// Recovering a discarded batch reads the stream its on-failure record names by ARN: a stream of the same name in
/// another account or region is not this function's local stream. On the embedded stream log (account
/// 000000000000, us-east-1) in a temporary folder; the archive is an in-memory list.
/// </summary>
public sealed class OnFailureRecoveryTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sfn-recovery-" + Guid.NewGuid().ToString("N"));
    private readonly EmbeddedKinesis _kinesis;
    private readonly ListArchive _archive = new();

    public OnFailureRecoveryTests()
    {
        _kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _folder });
    }

    [Fact]
    public async Task Recover_ArnOfAnotherAccount_ArchivesANotFoundPointerAndNoLocalRecord()
    {
        var (first, last) = await PutAsync("mystream", 3);
        var batch = Batch("arn:aws:kinesis:us-east-2:999999999999:stream/mystream", first, last);

        var archived = await OnFailureRecovery.RecoverAsync(batch, _kinesis, _archive);

        Assert.Equal(0, archived);
        var pointer = Assert.Single(_archive.Records);
        Assert.Equal(OnFailureRecovery.StreamNotFound, pointer.Reason);
        Assert.True(pointer.Payload.IsEmpty);
        Assert.Equal("arn:aws:kinesis:us-east-2:999999999999:stream/mystream", pointer.Source);
        Assert.Contains("was not found", pointer.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("/999999999999/us-east-2/mystream/", S3PoisonRecordArchive.KeyOf(pointer, "dlq"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("arn:aws:kinesis:us-west-2:000000000000:stream/mystream")]
    [InlineData("arn:aws:kinesis:us-east-1:000000000000:stream/otherstream")]
    public async Task Recover_ArnOfAnotherRegionOrName_IsNotFound(string arn)
    {
        var (first, last) = await PutAsync("mystream", 1);

        await OnFailureRecovery.RecoverAsync(Batch(arn, first, last), _kinesis, _archive);

        Assert.Equal(OnFailureRecovery.StreamNotFound, Assert.Single(_archive.Records).Reason);
    }

    [Fact]
    public async Task Recover_ArnOfTheLocalStream_ArchivesTheRecordsWithTheirPayloads()
    {
        var (first, last) = await PutAsync("mystream", 3);
        var arn = (await _kinesis.DescribeStreamSummaryAsync("mystream")).StreamArn;

        var archived = await OnFailureRecovery.RecoverAsync(Batch(arn, first, last), _kinesis, _archive);

        Assert.Equal(3, archived);
        Assert.Equal(["record-0", "record-1", "record-2"], _archive.Records.Select(r => Encoding.UTF8.GetString(r.Payload.Span)));
    }

    [Fact]
    public async Task Recover_SequenceNumberPastTheShard_IsExpiredNotNotFound()
    {
        await PutAsync("mystream", 1);
        var arn = (await _kinesis.DescribeStreamSummaryAsync("mystream")).StreamArn;

        await OnFailureRecovery.RecoverAsync(Batch(arn, "1", "2", shard: "shardId-000000000007"), _kinesis, _archive);

        Assert.Equal(OnFailureRecovery.DataExpired, Assert.Single(_archive.Records).Reason);
    }

    public void Dispose()
    {
        _kinesis.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static DiscardedBatch Batch(string arn, string first, string last, string shard = "shardId-000000000000") =>
        new(arn, shard, first, last, 3, "RetryAttemptsExhausted", "Unhandled", "$LATEST");

    private async Task<(string First, string Last)> PutAsync(string stream, int count)
    {
        await _kinesis.CreateActiveAsync(stream, 1);
        var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(stream, [.. Enumerable.Range(0, count).Select(i => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes($"record-{i}"), "k"))]));
        return (put.Records[0].SequenceNumber!, put.Records[^1].SequenceNumber!);
    }

    private sealed class ListArchive : IPoisonRecordArchive
    {
        public List<PoisonRecord> Records { get; } = [];

        public Task ArchiveAsync(PoisonRecord record, CancellationToken cancellationToken = default)
        {
            Records.Add(record);
            return Task.CompletedTask;
        }
    }
}
