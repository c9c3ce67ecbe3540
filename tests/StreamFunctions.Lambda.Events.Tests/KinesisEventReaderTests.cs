using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Testing.Lambda;

namespace StreamFunctions.Lambda.Events.Tests;

public sealed class KinesisEventReaderTests
{
    [Fact]
    public void Read_AwsSample_SameRecordsAsTheContract()
    {
        var json = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "events", "kinesis.json"));
        var expected = JsonSerializer.Deserialize(json, LambdaEventsJsonContext.Default.KinesisEvent)!;

        using var batch = KinesisEventReader.Read(json);

        Assert.Equal(expected.Records.Count, batch.Records.Count);
        for (var i = 0; i < expected.Records.Count; i++)
        {
            AssertSame(expected.Records[i], batch.Records[i]);
        }
    }

    [Property(MaxTest = 50)]
    public Property Read_AnyEvent_SameRecordsAsTheContract() =>
        Prop.ForAll(
            Gen.ListOf(Gen.Zip(ArbMap.Default.GeneratorFor<byte[]>(), ArbMap.Default.GeneratorFor<NonEmptyString>())).ToArbitrary(),
            records =>
            {
                var evnt = new KinesisEvent();
                var i = 0;
                foreach (var (data, key) in records)
                {
                    var sequence = "4959033827149025660855969253836157109592157598913" + (i++).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
                    evnt.Records.Add(new KinesisEventRecord
                    {
                        AwsRegion = "eu-west-1",
                        EventId = "shardId-000000000003:" + sequence,
                        EventSourceArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/s",
                        Kinesis = new KinesisRecord { Data = data ?? [], PartitionKey = key.Get, SequenceNumber = sequence, ApproximateArrivalTimestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000 + i) },
                    });
                }

                var json = JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KinesisEvent);
                using var batch = KinesisEventReader.Read(json);
                Assert.Equal(evnt.Records.Count, batch.Records.Count);
                for (var r = 0; r < evnt.Records.Count; r++)
                {
                    AssertSame(evnt.Records[r], batch.Records[r]);
                }
            });

    [Fact]
    public void Read_EscapedSlashesInBase64_DecodesTheSameBytes()
    {
        var json = """{"Records":[{"kinesis":{"sequenceNumber":"1","partitionKey":"k","data":"\/\/8=","approximateArrivalTimestamp":1.5},"eventID":"shardId-000000000000:1"}]}"""u8;

        using var batch = KinesisEventReader.Read(json);

        Assert.Equal(new byte[] { 0xFF, 0xFF }, batch.Records[0].Data.ToArray());
        Assert.Equal("shardId-000000000000:1", batch.Records[0].EventId);
    }

    [Fact]
    public void Read_DataNotBase64_ThrowsNamingTheRecord()
    {
        var json = """{"Records":[{"kinesis":{"sequenceNumber":"1","data":"AAAA"}},{"kinesis":{"sequenceNumber":"2","data":"%%%"}}]}"""u8.ToArray();

        var error = Assert.Throws<KinesisEventFormatException>(() => KinesisEventReader.Read(json).Dispose());

        Assert.Equal(1, error.RecordIndex);
        Assert.Contains("base64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RecordWithoutData_ThrowsNamingTheRecord()
    {
        var json = """{"Records":[{"kinesis":{"sequenceNumber":"1"}}]}"""u8.ToArray();

        var error = Assert.Throws<KinesisEventFormatException>(() => KinesisEventReader.Read(json).Dispose());

        Assert.Equal(0, error.RecordIndex);
    }

    [Fact]
    public void Read_TruncatedJson_ThrowsFormatError()
    {
        var json = Encoding.UTF8.GetBytes("""{"Records":[{"kinesis":{"sequenceNumber":"1","data":"AAAA"}""");

        Assert.Throws<KinesisEventFormatException>(() => KinesisEventReader.Read(json).Dispose());
    }

    [Fact]
    public void Read_StringNotValidUtf8_ThrowsFormatErrorNamingTheRecord()
    {
        // Utf8JsonReader only notices when the string is read as text, and then throws InvalidOperationException.
        byte[] json = [.. Encoding.UTF8.GetBytes("""{"Records":[{"kinesis":{"partitionKey":"x"""), 0xFF, .. Encoding.UTF8.GetBytes(""" ","sequenceNumber":"1","data":"AAAA"}}]}""")];

        var error = Assert.Throws<KinesisEventFormatException>(() => KinesisEventReader.Read(json).Dispose());

        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TenThousandRecordsOfSixMegabytes_ReadsEveryRecordIntoOneBuffer()
    {
        var json = LargeKinesisEvent.Create(10_000, 60);
        Assert.InRange(json.Length, 5_500_000, 6_291_456);

        using var batch = KinesisEventReader.Read(json);

        Assert.Equal(10_000, batch.Records.Count);
        Assert.All(batch.Records, r => Assert.Equal(60, r.Data.Length));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(batch.Records[0].Data, out var first));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(batch.Records[^1].Data, out var last));
        Assert.Same(first.Array, last.Array);
        Assert.Same(batch.Records[0].Partition, batch.Records[^1].Partition);
        Assert.Single(batch.Partitions);
    }

    private static void AssertSame(KinesisEventRecord expected, Streams.StreamRecord actual)
    {
        Assert.Equal(expected.Kinesis.SequenceNumber, actual.Sequence);
        Assert.Equal(expected.Kinesis.PartitionKey, actual.PartitionKey);
        Assert.Equal(expected.Kinesis.Data, actual.Data.ToArray());
        Assert.Equal(expected.Kinesis.ApproximateArrivalTimestamp, actual.Timestamp);
        Assert.Equal(expected.EventId, actual.EventId);
        Assert.Equal(expected.EventSourceArn, actual.Partition.SourceArn);
        Assert.Equal(expected.AwsRegion, actual.Partition.Region);
    }
}
