using System.Text;
using System.Text.Json;
using StreamFunctions.BatchProcessing;

namespace StreamFunctions.FailureHandler.Tests;

public sealed class S3PoisonRecordArchiveTests
{
    private static readonly PoisonRecord Record = new(
        "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
        "shardId-000000000002",
        "49590338271490256608559692538361571095921575989136588898",
        "user/7",
        Encoding.UTF8.GetBytes("not json"),
        "System.Text.Json.JsonReaderException",
        "'n' is an invalid start of a value.",
        "Poison",
        1,
        "7",
        new DateTimeOffset(2026, 11, 23, 5, 30, 0, TimeSpan.Zero));

    [Fact]
    public void KeyOf_Record_IsDatedAndNamedByAccountRegionSourceShardAndSequence()
    {
        Assert.Equal(
            "dlq/year=2026/month=11/day=23/123456789012/us-east-1/clicks/shardId-000000000002/49590338271490256608559692538361571095921575989136588898.jsonl",
            S3PoisonRecordArchive.KeyOf(Record, "dlq"));
    }

    [Fact]
    public void KeyOf_SameStreamNameInAnotherAccountOrRegion_AnotherKey()
    {
        var other = S3PoisonRecordArchive.KeyOf(Record with { Source = "arn:aws:kinesis:us-east-2:999999999999:stream/clicks" }, "dlq");
        var otherRegion = S3PoisonRecordArchive.KeyOf(Record with { Source = "arn:aws:kinesis:us-east-2:123456789012:stream/clicks" }, "dlq");

        Assert.Equal("dlq/year=2026/month=11/day=23/999999999999/us-east-2/clicks/shardId-000000000002/49590338271490256608559692538361571095921575989136588898.jsonl", other);
        Assert.NotEqual(S3PoisonRecordArchive.KeyOf(Record, "dlq"), otherRegion);
        Assert.StartsWith("dlq/year=2026/month=11/day=23/-/-/my-topic/", S3PoisonRecordArchive.KeyOf(Record with { Source = "my-topic" }, "dlq"), StringComparison.Ordinal);
    }

    [Fact]
    public void ToJsonLine_Record_HoldsThePayloadAndTheFailure()
    {
        var line = S3PoisonRecordArchive.ToJsonLine(Record);

        Assert.Equal((byte)'\n', line[^1]);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("not json", Encoding.UTF8.GetString(root.GetProperty("payload").GetBytesFromBase64()));
        Assert.Equal("user/7", root.GetProperty("partitionKey").GetString());
        Assert.Equal("Poison", root.GetProperty("reason").GetString());
        Assert.Equal(1, root.GetProperty("attempts").GetInt32());
        Assert.Equal("7", root.GetProperty("functionVersion").GetString());
        Assert.Equal("2026-11-23T05:30:00.000Z", root.GetProperty("failedAt").GetString());
        Assert.Equal("archived", root.GetProperty("status").GetString());
    }
}
