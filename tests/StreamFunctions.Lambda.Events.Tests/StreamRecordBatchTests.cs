using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.Streams;

namespace StreamFunctions.Lambda.Events.Tests;

/// <summary>
/// The one stream-record model against the System.Text.Json contracts: every Kinesis and Kafka sample read by the
/// pooled readers gives the records the POCO path gives; malformed events give the same precise messages.
/// </summary>
public sealed class StreamRecordBatchTests
{
    [Theory]
    [InlineData("events/kinesis.json")]
    [InlineData("events/aggregator-kinesis.json")]
    [InlineData("events/kinesis-tumbling-window.json")]
    public void Read_KinesisSample_SameAsTheContract(string sample)
    {
        var json = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, sample));
        var expected = JsonSerializer.Deserialize(json, LambdaEventsJsonContext.Default.KinesisTimeWindowEvent)!;

        using var batch = StreamEventReader.Read(json, LambdaEventSource.Of(json));

        Assert.Equal(StreamSourceKind.Kinesis, batch.Kind);
        Assert.Equal(expected.Records.Count, batch.Records.Count);
        Assert.True(expected.Records.Count > 0);
        for (var i = 0; i < expected.Records.Count; i++)
        {
            var (e, a) = (expected.Records[i], batch.Records[i]);
            Assert.Equal(e.Kinesis.SequenceNumber, a.Sequence);
            Assert.Equal(e.Kinesis.PartitionKey, a.PartitionKey);
            Assert.Equal(e.Kinesis.Data, a.Data.ToArray());
            Assert.Equal(e.Kinesis.ApproximateArrivalTimestamp, a.Timestamp);
            Assert.Equal(e.EventId, a.EventId);
            Assert.Equal(e.EventSourceArn, a.Partition.SourceArn);
            Assert.Equal(e.AwsRegion, a.Partition.Region);
            Assert.Equal(e.EventSourceArn![(e.EventSourceArn!.LastIndexOf('/') + 1)..], a.Partition.StreamName);
            Assert.True(a.MayBeAggregated);
        }

        Assert.Equal(expected.Window is null, batch.Window is null);
        if (expected.Window is { } window)
        {
            Assert.Equal(window.Start, batch.Window!.Start);
            Assert.Equal(window.End, batch.Window.End);
            Assert.Equal(expected.ShardId, batch.Window.ShardId);
            Assert.Equal(expected.IsFinalInvokeForWindow, batch.Window.IsFinalInvokeForWindow);
            Assert.Equal(expected.IsWindowTerminatedEarly, batch.Window.IsWindowTerminatedEarly);
            Assert.Equal(expected.EventSourceArn, batch.EventSourceArn);
            Assert.Equal(expected.State!.Keys.Order(StringComparer.Ordinal), batch.Window.State.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, value) in expected.State)
            {
                Assert.Equal(value.GetRawText(), batch.Window.State[key].GetRawText());
            }
        }
    }

    [Theory]
    [InlineData("events/msk.json", "aws:kafka")]
    [InlineData("events/self-managed-kafka.json", "SelfManagedKafka")]
    [InlineData("samples/aws-docs-msk-event.json", "aws:kafka")]
    public void Read_KafkaSample_SameAsTheContract(string sample, string source)
    {
        var json = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, sample));
        var expected = JsonSerializer.Deserialize(json, LambdaEventsJsonContext.Default.KafkaEvent)!;

        Assert.Equal(source, LambdaEventSource.Of(json));
        using var batch = StreamEventReader.Read(json, source);

        Assert.Equal(StreamSourceKind.Kafka, batch.Kind);
        Assert.Equal(source, batch.EventSource);
        Assert.Equal(expected.EventSourceArn, batch.EventSourceArn);
        Assert.Equal(expected.BootstrapServers, batch.BootstrapServers);
        Assert.Equal(expected.Records.Where(p => p.Value.Count > 0).Select(p => p.Key), batch.Partitions.Select(p => p.Key));
        var all = expected.Records.SelectMany(p => p.Value.Select(r => (p.Key, r))).ToList();
        Assert.Equal(all.Count, batch.Records.Count);
        Assert.True(all.Count > 0);
        for (var i = 0; i < all.Count; i++)
        {
            var (key, e) = all[i];
            var a = batch.Records[i];
            Assert.Equal(key, a.Partition.Key);
            Assert.Equal(e.Topic, a.Partition.Topic);
            Assert.Equal(e.Partition, a.Partition.KafkaPartition);
            Assert.Equal(e.Offset, a.Offset);
            Assert.Equal(e.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Sequence);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp), a.Timestamp);
            Assert.Equal(e.TimestampType, a.TimestampType);
            Assert.Equal(e.Key, a.Key?.ToArray());
            Assert.Equal(e.Value ?? [], a.Data.ToArray());
            Assert.Null(a.PartitionKey);
            Assert.False(a.MayBeAggregated);
            var headers = e.Headers ?? [];
            Assert.Equal(headers.SelectMany(h => h.Keys), a.Headers.Select(h => h.Name));
            foreach (var name in headers.SelectMany(h => h.Keys))
            {
                Assert.Equal(e.GetHeader(name), a.GetHeader(name)?.ToArray());
            }
        }
    }

    [Fact]
    public void Read_KafkaWithoutKeyOrValue_KeyNullAndValueEmpty()
    {
        using var batch = KafkaEventReader.Read("""{"eventSource":"SelfManagedKafka","records":{"t-3":[{"topic":"t","partition":3,"offset":7,"timestamp":1,"key":null,"value":null},{"offset":8}],"u-0":[]}}"""u8);

        Assert.Equal(2, batch.Records.Count);
        Assert.Null(batch.Records[0].Key);
        Assert.True(batch.Records[0].Data.IsEmpty);
        Assert.Equal("8", batch.Records[1].Sequence);
        Assert.Equal("t-3", Assert.Single(batch.Partitions).Key);
        Assert.Equal(3, batch.Partitions[0].KafkaPartition);
    }

    [Fact]
    public void Read_KafkaKeyNotBase64_SameMessageAsTheContract()
    {
        var sample = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", "aws-docs-msk-event.json")));
        var broken = Encoding.UTF8.GetBytes(sample.Replace("abcDEFghiJKLmnoPQRstuVWXyz1234==", "abc$", StringComparison.Ordinal));
        var expected = Assert.Throws<LambdaEventFormatException>(() => LambdaEventJson.Deserialize(broken, LambdaEventsJsonContext.Default.KafkaEvent, "Kafka"));

        var error = Assert.Throws<LambdaEventFormatException>(() => KafkaEventReader.Read(broken).Dispose());

        Assert.Equal("The Kafka event is malformed at $.records.mytopic-0[0].key: 'abc$' is not valid base64: character 3 ('$') is not in the base64 alphabet.", error.Message);
        Assert.Equal(expected.Message, error.Message);
        Assert.Equal("$.records.mytopic-0[0].key", error.Path);
        Assert.Equal("Kafka", error.EventName);
    }

    [Theory]
    [InlineData("""{"records":{"t-0":[{"offset":"x"}]}}""", "The Kafka event is malformed at $.records.t-0[0].offset: expected a whole number (Int64), found String.")]
    [InlineData("""{"records":{"t-0":[{"value":"not-base64!"}]}}""", "The Kafka event is malformed at $.records.t-0[0].value: 'not-base64!' is not valid base64: its length, 11, is not a multiple of 4.")]
    [InlineData("""{"records":{"t-0":[{},null]}}""", "The Kafka event is malformed at $.records.t-0[1]: the record is null.")]
    [InlineData("""{"records":{"t-0":[{"headers":[{"h":[1,300]}]}]}}""", "The Kafka event is malformed at $.records.t-0[0].headers: header 0 ('h') holds Number 300, not a byte value (-128 to 127).")]
    [InlineData("""{"records":[]}""", "The Kafka event is malformed at $.records: expected an object of topic-partitions, found StartArray.")]
    [InlineData("null", "The Kafka event is null.")]
    public void Read_MalformedKafka_NamesThePathAndTheCause(string json, string message) =>
        Assert.Equal(message, Assert.Throws<LambdaEventFormatException>(() => KafkaEventReader.Read(Encoding.UTF8.GetBytes(json)).Dispose()).Message);

    [Fact]
    public void Read_KinesisDataNotBase64_SameMessageAsTheContract()
    {
        var json = """{"Records":[{"kinesis":{"sequenceNumber":"1","partitionKey":"k","data":"a*cd","approximateArrivalTimestamp":1.5},"eventSource":"aws:kinesis"}]}"""u8.ToArray();
        var expected = Assert.Throws<LambdaEventFormatException>(() => LambdaEventJson.Deserialize(json, LambdaEventsJsonContext.Default.KinesisEvent, "Kinesis"));

        var error = Assert.Throws<KinesisEventFormatException>(() => KinesisEventReader.Read(json).Dispose());

        Assert.Equal("The Kinesis event is malformed at $.Records[0].kinesis.data: 'a*cd' is not valid base64: character 1 ('*') is not in the base64 alphabet.", error.Message);
        Assert.Equal(expected.Message, error.Message);
        Assert.Equal(0, error.RecordIndex);
    }

    [Fact]
    public void Read_KinesisRecordsOfTwoShardsInterleaved_GroupedByShardInOrder()
    {
        var json = """
            {"Records":[
              {"kinesis":{"sequenceNumber":"1","data":"AA=="},"eventID":"shardId-000000000001:1","eventSourceARN":"arn:aws:kinesis:r:1:stream/s"},
              {"kinesis":{"sequenceNumber":"2","data":"AQ=="},"eventID":"shardId-000000000002:2","eventSourceARN":"arn:aws:kinesis:r:1:stream/s"},
              {"kinesis":{"sequenceNumber":"3","data":"Ag=="},"eventID":"shardId-000000000001:3","eventSourceARN":"arn:aws:kinesis:r:1:stream/s"}]}
            """u8;

        using var batch = KinesisEventReader.Read(json);

        Assert.Equal(["shardId-000000000001", "shardId-000000000002"], batch.Partitions.Select(p => p.Key));
        Assert.Equal(["1", "3"], batch.Partitions[0].Records.Select(r => r.Sequence));
        Assert.Equal(["2"], batch.Partitions[1].Records.Select(r => r.Sequence));
        Assert.Equal(["1", "3", "2"], batch.Records.Select(r => r.Sequence));
    }

    [Fact]
    public void Read_KinesisWithoutEventId_DefaultShard()
    {
        using var batch = KinesisEventReader.Read("""{"Records":[{"kinesis":{"sequenceNumber":"1","data":"AA=="}}]}"""u8);

        Assert.Equal(KinesisEventReader.DefaultShardId, batch.Partitions[0].Key);
        Assert.Null(batch.Partitions[0].ShardId);
        Assert.Equal("1", batch.Records[0].EventId);
    }

    [Fact]
    public void Read_Writer_RoundTrips()
    {
        var records = new[]
        {
            new KinesisApi.Model.KinesisRecord("49590338271490256608559692538361571095921575989136588898", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), new byte[] { 1, 2, 3 }, "pk-1"),
            new KinesisApi.Model.KinesisRecord("49590338271490256608559692538361571095921575989136588899", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_456), Array.Empty<byte>(), "pk-2"),
        };
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

        var json = KinesisEventWriter.Write(records, "shardId-000000000004", "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks", "eu-west-1", "arn:aws:iam::123456789012:role/r", (start, start.AddMinutes(1), """{"n":"1"}"""), false, false);
        using var batch = StreamEventReader.Read(json, LambdaEventSource.Of(json));

        Assert.Equal(records.Select(r => (r.SequenceNumber, r.PartitionKey, r.ApproximateArrivalTimestamp)), batch.Records.Select(r => (r.Sequence, r.PartitionKey!, r.Timestamp)));
        Assert.Equal(records.Select(r => r.Data.ToArray()), batch.Records.Select(r => r.Data.ToArray()));
        Assert.Equal("clicks", batch.Partitions[0].StreamName);
        Assert.Equal("shardId-000000000004", batch.Partitions[0].ShardId);
        Assert.Equal(start, batch.Window!.Start);
        Assert.Equal("\"1\"", batch.Window.State["n"].GetRawText());
    }
}
