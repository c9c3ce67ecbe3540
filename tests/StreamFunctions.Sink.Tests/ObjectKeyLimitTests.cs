using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.LocalAws;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Testing;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// An object key is the rendered prefix and the object's name; S3 takes at most 1,024 bytes of UTF-8 (and a folder
/// on a file system 255 bytes a path segment). A record whose partition would make a key over the limit goes to
/// the error prefix as partitioning-failed when it is partitioned, and the shard's other records still deliver:
/// the limit is not met first by the final flush, which then delivered none of them. S3 here is the folder store
/// of <c>sfn run</c>, which refuses keys as S3 does.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes them in IAsyncLifetime.DisposeAsync.")]
public sealed class ObjectKeyLimitTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-sink-keys-" + Guid.NewGuid().ToString("N"));
    private FolderS3Server? _server;
    private IAmazonS3? _s3;

    private IAmazonS3 S3 => _s3!;

    public async Task InitializeAsync()
    {
        _server = new FolderS3Server(_root);
        _server.Start();
        _s3 = new AwsClientFactory(AwsSettings.FromEnvironment(EnvironmentVariables.From(new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = _server.Endpoint.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "local",
            ["AWS_SECRET_ACCESS_KEY"] = "local",
            ["AWS_REGION"] = "us-east-1",
        }))).CreateS3Client();
        await S3.PutBucketAsync("bucket");
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task WriteAndFlush_PartitionValueOf1200BytesAmongGoodOnes_ItIsPartitioningFailedAndTheOthersDeliver()
    {
        // 400 × '€': 400 characters (under the 512 a key value may have) but 1,200 bytes of UTF-8.
        var euros = new string('€', 400);
        var sink = CreateSut(new S3SinkOptions { Bucket = "bucket", Prefix = "data/customer=!{partitionKeyFromQuery:customer}/", PartitionKeyQueries = new Dictionary<string, string> { ["customer"] = ".customer" }, BufferInterval = TimeSpan.FromSeconds(60) });

        var written = await sink.WriteAsync(Event("a", "b", euros, "a", "c"), Now.AddMinutes(1));
        var (objects, error) = await sink.FlushAllAsync(Now.AddMinutes(1));

        Assert.Null(error);
        Assert.Equal((4, 1), (written.Delivered, written.Failed));
        Assert.Equal([0, 1, 3, 4], (await LinesAsync("data/")).Select(l => N(l.Line)).Order());
        Assert.Equal(["a", "b", "c"], (await LinesAsync("data/")).Select(l => l.Key.Split('/')[1]["customer=".Length..]).Distinct().Order());
        var failed = Assert.Single(await LinesAsync("errors/partitioning-failed/"));
        using var record = JsonDocument.Parse(failed.Line);
        Assert.Equal(2, N(Encoding.UTF8.GetString(record.RootElement.GetProperty("rawData").GetBytesFromBase64())));
        Assert.Equal("DynamicPartitioning.MetadataExtractionFailed", record.RootElement.GetProperty("errorCode").GetString());
        Assert.Equal(
            "The prefix 'data/customer=" + euros[..26] + "…' is 1,215 bytes of UTF-8; with the object's name (up to 71 bytes here) the key could be 1,286 bytes, over S3's limit of 1,024.",
            record.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal(4, objects);
    }

    [Fact]
    public async Task WriteAndFlush_PathSegmentOver255BytesWithAFolderStore_ItIsPartitioningFailedAndTheOthersDeliver()
    {
        // 300 bytes: a key S3 takes, a folder name a file system does not (NAME_MAX 255).
        var longValue = new string('x', 300);
        var sink = CreateSut(new S3SinkOptions
        {
            Bucket = "bucket",
            Prefix = "data/customer=!{partitionKeyFromQuery:customer}/",
            PartitionKeyQueries = new Dictionary<string, string> { ["customer"] = ".customer" },
            BufferInterval = TimeSpan.FromSeconds(60),
            MaxKeySegmentBytes = 255,
        });

        var written = await sink.WriteAsync(Event("a", longValue, "b"), Now.AddMinutes(1));
        var (_, error) = await sink.FlushAllAsync(Now.AddMinutes(1));

        Assert.Null(error);
        Assert.Equal((2, 1), (written.Delivered, written.Failed));
        Assert.Equal([0, 2], (await LinesAsync("data/")).Select(l => N(l.Line)).Order());
        var failed = Assert.Single(await LinesAsync("errors/partitioning-failed/"));
        using var record = JsonDocument.Parse(failed.Line);
        Assert.Equal(
            "The prefix 'data/customer=" + longValue[..26] + "…' has a path segment of 309 bytes of UTF-8 ('customer=" + longValue[..31] + "…'); the store takes at most 255 bytes a segment.",
            record.RootElement.GetProperty("errorMessage").GetString());
    }

    private S3Sink CreateSut(S3SinkOptions options) => new(S3, new InMemorySinkStateStore(), options, transform: null, new ManualTimeProvider(Now));

    private async Task<List<(string Key, string Line)>> LinesAsync(string prefix)
    {
        var lines = new List<(string, string)>();
        var page = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bucket", Prefix = prefix });
        foreach (var key in (page.S3Objects ?? []).Select(o => o.Key))
        {
            using var response = await S3.GetObjectAsync("bucket", key);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            lines.AddRange((await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (key, l)));
        }

        return lines;
    }

    private static int N(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("n").GetInt32();
    }

    private static KinesisEvent Event(params string[] customers) => new()
    {
        Records = [.. customers.Select((c, i) => new KinesisEventRecord
        {
            EventSource = "aws:kinesis",
            EventSourceArn = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
            EventId = $"shardId-000000000000:{49_600_000_000_000_000L + i}",
            Kinesis = new KinesisRecord
            {
                PartitionKey = "pk",
                SequenceNumber = (49_600_000_000_000_000L + i).ToString(CultureInfo.InvariantCulture),
                Data = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object> { ["customer"] = c, ["n"] = i })),
                ApproximateArrivalTimestamp = Now.AddSeconds(-30),
            },
        })],
    };
}
