using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Kinesis;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// An object key is the rendered prefix and the object's name; S3 takes at most 1,024 bytes of UTF-8 (and a folder
/// on a file system 255 bytes a path segment). A record whose partition would make a key over the limit goes to
/// the error prefix as partitioning-failed when it is partitioned, and the shard's other records still deliver:
/// the limit is not met first by the final flush, which then delivered none of them. S3 here is the folder store
/// of <c>sfn run</c>, which refuses keys as S3 does.
/// </summary>
public sealed class ObjectKeyLimitTests : IAsyncLifetime
{
    internal static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private FolderSinkStore? _store;

    private FolderSinkStore Store => _store!;

    public async Task InitializeAsync() => _store = await FolderSinkStore.CreateAsync();

    public async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact]
    public async Task WriteAndFlush_PartitionValueOf1200BytesAmongGoodOnes_ItIsPartitioningFailedAndTheOthersDeliver()
    {
        // 400 × '€': 400 characters (under the 512 a key value may have) but 1,200 bytes of UTF-8.
        var euros = new string('€', 400);
        var sink = Store.Sink(new S3SinkOptions { Bucket = FolderSinkStore.Bucket, Prefix = "data/customer=!{partitionKeyFromQuery:customer}/", PartitionKeyQueries = new Dictionary<string, string> { ["customer"] = ".customer" }, BufferInterval = TimeSpan.FromSeconds(60) }, Now);

        var written = await sink.WriteAsync(Event("a", "b", euros, "a", "c"), Now.AddMinutes(1));
        var (objects, error) = await sink.FlushAllAsync(Now.AddMinutes(1));

        Assert.Null(error);
        Assert.Equal((4, 1), (written.Delivered, written.Failed));
        Assert.Equal([0, 1, 3, 4], (await Store.LinesAsync("data/")).Select(l => N(l.Line)).Order());
        Assert.Equal(["a", "b", "c"], (await Store.LinesAsync("data/")).Select(l => l.Key.Split('/')[1]["customer=".Length..]).Distinct().Order());
        var failed = Assert.Single(await Store.LinesAsync("errors/partitioning-failed/"));
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
        var sink = Store.Sink(
            new S3SinkOptions
            {
                Bucket = FolderSinkStore.Bucket,
                Prefix = "data/customer=!{partitionKeyFromQuery:customer}/",
                PartitionKeyQueries = new Dictionary<string, string> { ["customer"] = ".customer" },
                BufferInterval = TimeSpan.FromSeconds(60),
                MaxKeySegmentBytes = 255,
            },
            Now);

        var written = await sink.WriteAsync(Event("a", longValue, "b"), Now.AddMinutes(1));
        var (_, error) = await sink.FlushAllAsync(Now.AddMinutes(1));

        Assert.Null(error);
        Assert.Equal((2, 1), (written.Delivered, written.Failed));
        Assert.Equal([0, 2], (await Store.LinesAsync("data/")).Select(l => N(l.Line)).Order());
        var failed = Assert.Single(await Store.LinesAsync("errors/partitioning-failed/"));
        using var record = JsonDocument.Parse(failed.Line);
        Assert.Equal(
            "The prefix 'data/customer=" + longValue[..26] + "…' has a path segment of 309 bytes of UTF-8 ('customer=" + longValue[..31] + "…'); the store takes at most 255 bytes a segment.",
            record.RootElement.GetProperty("errorMessage").GetString());
    }

    internal static int N(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("n").GetInt32();
    }

    /// <summary>One JSON record per value of <c>customer</c>, numbered by <c>n</c>, on one shard of <c>clicks</c>.</summary>
    internal static KinesisEvent Event(params string[] customers) =>
        KinesisEvents.Of(customers.Select((c, i) => JsonSerializer.Serialize(new Dictionary<string, object> { ["customer"] = c, ["n"] = i })), Now.AddSeconds(-30));
}
