using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.BatchProcessing;
using StreamFunctions.Cli.Commands;
using StreamFunctions.FailureHandler;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Cli.Tests.Dlq;

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class DlqCommandTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-cli-dlq");
    private readonly string _stream = LocalAwsFixture.UniqueName("sfn-cli-dlq");

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        await _kinesis.CreateActiveAsync(_stream, 1);

        var arn = (await _kinesis.DescribeStreamSummaryAsync(_stream)).StreamArn;
        await new S3PoisonRecordArchive(_s3, _bucket).ArchiveAsync(new PoisonRecord(arn, "shardId-000000000000", "42", "k", Encoding.UTF8.GetBytes("{\"bad\":"), "System.Text.Json.JsonReaderException", "unexpected end", "Poison", 1, "$LATEST", DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)));
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
        _s3.Dispose();
        _kinesis.Dispose();
    }

    [Fact]
    public async Task ListThenRedriveTwice_PrintsTheRecordAndRedrivesItOnce()
    {
        var (listExit, listed) = await RunAsync("list", "--bucket", _bucket);
        var (firstExit, first) = await RunAsync("redrive", "--bucket", _bucket);
        var (secondExit, second) = await RunAsync("redrive", "--bucket", _bucket);

        Assert.Equal((0, 0, 0), (listExit, firstExit, secondExit));
        Assert.Contains("JsonReaderException: unexpected end", listed, StringComparison.Ordinal);
        Assert.Contains("1 records, 0 redriven", listed, StringComparison.Ordinal);
        Assert.Contains("redriven 1 of 1", first, StringComparison.Ordinal);
        Assert.Contains("redriven 0 of 1 matching records; 1 already redriven", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_UnknownBucket_FailsWithAClearError()
    {
        var (exit, _) = await RunAsync("list", "--bucket", "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]);

        Assert.Equal(1, exit);
    }

    private async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var command = DlqCommand.Create(output, error, () => aws.Settings);
        var exit = await command.Parse(args).InvokeAsync();
        return (exit, output + error.ToString());
    }
}
