using System.Text;
using StreamFunctions.Lambda.Events.Kinesis;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The shard's active partitions are bounded (Firehose's limit on dynamic partitions): a record for one more
/// partition goes to the error prefix as ActivePartitionsLimitExceeded, and records for the partitions already
/// open are still delivered, before and after it.
/// </summary>
public sealed class PartitionLimitTests
{
    [Fact]
    public async Task RecordsForAThirdPartition_ErrorPrefixWhileTheTwoOpenOnesDeliver()
    {
        var sink = OfflineSink.Create(
            new S3SinkOptions
            {
                Bucket = "bucket",
                Prefix = "data/k=!{partitionKeyFromQuery:k}/",
                PartitionKeyQueries = new Dictionary<string, string> { ["k"] = ".k" },
                MaxActivePartitions = 2,
                BufferInterval = TimeSpan.FromSeconds(60),
            },
            transform: null,
            new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        string[] keys = ["a", "b", "c", "a", "c", "b", "a"];

        var encoded = await sink.EncodeAsync(Event(keys));

        Assert.Equal((5, 0, 2, 3), (encoded.Delivered, encoded.Dropped, encoded.Failed, encoded.Partitions));
        var lines = Encoding.UTF8.GetString(encoded.Chunk.Span).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["a0", "a3", "a6", "b1", "b5"], lines.Where(l => l.StartsWith("{\"k\"", StringComparison.Ordinal)).Select(l => l[6..7] + l[^2..^1]).Order());
        var errors = lines.Where(l => l.Contains("ActivePartitionsLimitExceeded", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("data/k=c/", e, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("would be one more", e, StringComparison.Ordinal));
    }

    private static KinesisEvent Event(string[] keys) =>
        KinesisEvents.Of(keys.Select((k, i) => $$"""{"k":"{{k}}","n":{{i}}}"""), new DateTimeOffset(2026, 11, 24, 9, 59, 0, TimeSpan.Zero));
}
