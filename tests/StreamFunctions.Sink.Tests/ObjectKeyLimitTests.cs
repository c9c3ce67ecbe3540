using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Kinesis;
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

    [Theory]
    [InlineData(nameof(S3SinkOptions.ErrorPrefix))]
    [InlineData(nameof(S3SinkOptions.BackupPrefix))]
    public void Validate_FixedPrefixOf900BytesOfUtf8_RefusedNamingItWhereTheSameCharactersInAsciiPass(string setting)
    {
        // 300 × '€' is 300 characters but 900 bytes: with a stream's object names (up to 271 bytes) no key fits 1,024.
        S3SinkOptions With(string prefix) => setting == nameof(S3SinkOptions.ErrorPrefix)
            ? new S3SinkOptions { Bucket = "b", ErrorPrefix = prefix }
            : new S3SinkOptions { Bucket = "b", BackupPrefix = prefix };

        var error = Assert.Throws<ArgumentException>(() => With("failed/" + new string('€', 300) + "/!{timestamp:yyyy}/").Validate());
        _ = With("failed/" + new string('e', 300) + "/!{timestamp:yyyy}/").Validate();

        Assert.Equal(setting, error.ParamName);
        Assert.StartsWith($"{setting} is too long: The prefix 'failed/€€€", error.Message, StringComparison.Ordinal);
        Assert.Contains("is 913 bytes of UTF-8; with the object's name (up to 271 bytes here) the key could be 1,184 bytes, over S3's limit of 1,024. Object names take up to 271 bytes here", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_ErrorPrefixWhoseObjectsCannotBeWrittenInAFolderStore_BatchFailsNamingItAndNothingIsCheckpointed()
    {
        // The error prefix's last segment (200 bytes) continues with the object's name (71 bytes here): 271 bytes, over
        // the 255 a file system takes. Writing the batch would have put its good records in partitions whose delivery
        // then stalls on the error object; the batch fails first, with the setting named, and nothing of it is kept.
        var states = new InMemorySinkStateStore();
        var time = new ManualTimeProvider(Now);
        S3SinkOptions Options(string errorPrefix) => new()
        {
            Bucket = FolderSinkStore.Bucket,
            Prefix = "data/customer=!{partitionKeyFromQuery:customer}/",
            PartitionKeyQueries = new Dictionary<string, string> { ["customer"] = ".customer" },
            ErrorPrefix = errorPrefix,
            BufferInterval = TimeSpan.FromSeconds(60),
            MaxKeySegmentBytes = 255,
        };
        var evnt = Event("a", new string('x', 300), "b");

        var error = await Assert.ThrowsAsync<SinkConfigurationException>(() => new S3Sink(Store.S3, states, Options("errors/" + new string('e', 200)), time: time).WriteAsync(evnt, Now.AddMinutes(1)));
        var fixedSink = new S3Sink(Store.S3, states, Options("errors/"), time: time);
        var written = await fixedSink.WriteAsync(evnt, Now.AddMinutes(1));
        var (_, flushError) = await fixedSink.FlushAllAsync(Now.AddMinutes(1));

        Assert.StartsWith("ErrorPrefix cannot hold the objects of stream 'clicks', shard 'shardId-000000000000': The prefix 'errors/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee…' ends in a path segment of 200 bytes", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Shorten ErrorPrefix; nothing of this batch was written.", error.Message, StringComparison.Ordinal);
        Assert.Null(flushError);
        Assert.Equal((2, 1), (written.Delivered, written.Failed));
        Assert.Equal([0, 2], (await Store.LinesAsync("data/")).Select(l => N(l.Line)).Order());
        Assert.Single(await Store.LinesAsync("errors/"));
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
