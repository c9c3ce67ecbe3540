using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Benchmarks.LambdaEvents;

/// <summary>
/// The raw bytes of the events Lambda's event source mappings send, written here with <see cref="Utf8JsonWriter"/> in
/// the shapes AWS documents (not with the project's event types, whose reading is what is measured): a Kinesis event
/// and an Amazon MSK event, each holding as many records as fit in Lambda's invocation payload limit.
/// </summary>
internal static class LambdaEventPayloads
{
    /// <summary>Lambda's invocation payload limit (6 MB, 6,291,456 bytes): the most a mapping puts in one batch.</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    /// <summary>The first 50 digits of every sequence number; the record's index makes the last 6 (56 digits, as Kinesis's).</summary>
    private const string SequencePrefix = "49590338271490256608559692538361571095921575989136";

    /// <summary>A Kinesis sequence number of the shard: increasing with <paramref name="index"/>.</summary>
    /// <param name="index">The record's position in the event.</param>
    /// <returns>56 digits.</returns>
    public static string KinesisSequence(int index) => SequencePrefix + index.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>
    /// A Kinesis event from shard <c>shardId-000000000000</c> of stream <c>clicks</c> (Lambda's documented shape:
    /// <c>Records[].kinesis.{kinesisSchemaVersion, partitionKey, sequenceNumber, data, approximateArrivalTimestamp}</c>,
    /// <c>eventSource</c> <c>aws:kinesis</c>, <c>eventID</c> <c>shardId:sequenceNumber</c>, ...) with the records that fit.
    /// </summary>
    /// <param name="records">Each Kinesis record's partition key and data (a user record, or a KPL aggregate).</param>
    /// <param name="arrival">Every record's approximate arrival time.</param>
    /// <param name="maxBytes">The event's size limit.</param>
    /// <returns>The event, and how many of the records it holds (the first ones).</returns>
    public static (byte[] Json, int Records) Kinesis(IReadOnlyList<(string PartitionKey, ReadOnlyMemory<byte> Data)> records, DateTimeOffset arrival, int maxBytes = MaxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(records);
        var seconds = arrival.ToUnixTimeMilliseconds() / 1000.0;
        return Fill("{\"Records\":["u8, "]}"u8, records.Count, maxBytes, (writer, i) =>
        {
            var sequence = KinesisSequence(i);
            writer.WriteStartObject();
            writer.WriteStartObject("kinesis");
            writer.WriteString("kinesisSchemaVersion", "1.0");
            writer.WriteString("partitionKey", records[i].PartitionKey);
            writer.WriteString("sequenceNumber", sequence);
            writer.WriteBase64String("data", records[i].Data.Span);
            writer.WriteNumber("approximateArrivalTimestamp", seconds);
            writer.WriteEndObject();
            writer.WriteString("eventSource", "aws:kinesis");
            writer.WriteString("eventVersion", "1.0");
            writer.WriteString("eventID", "shardId-000000000000:" + sequence);
            writer.WriteString("eventName", "aws:kinesis:record");
            writer.WriteString("invokeIdentityArn", "arn:aws:iam::123456789012:role/s3-sink-role");
            writer.WriteString("awsRegion", "us-east-1");
            writer.WriteString("eventSourceARN", "arn:aws:kinesis:us-east-1:123456789012:stream/clicks");
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// An Amazon MSK event (<c>eventSource</c> <c>aws:kafka</c>) from partition 0 of topic <c>clicks</c>, offsets from 0
    /// (Lambda's documented shape: <c>records</c> keyed <c>topic-partition</c>, each with topic, partition, offset,
    /// timestamp, timestampType, base64 key and value, headers) with the records that fit.
    /// </summary>
    /// <param name="records">Each Kafka record's key and value.</param>
    /// <param name="timestamp">Every record's timestamp (CREATE_TIME).</param>
    /// <param name="maxBytes">The event's size limit.</param>
    /// <returns>The event, and how many of the records it holds (the first ones).</returns>
    public static (byte[] Json, int Records) Msk(IReadOnlyList<(string Key, ReadOnlyMemory<byte> Value)> records, DateTimeOffset timestamp, int maxBytes = MaxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(records);
        var milliseconds = timestamp.ToUnixTimeMilliseconds();
        var head = """{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-east-1:123456789012:cluster/clicks-cluster/751d2973-a626-431c-9d4e-d7975eb44dd7-2","bootstrapServers":"b-2.clicks-cluster.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.clicks-cluster.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092","records":{"clicks-0":["""u8;
        return Fill(head, "]}}"u8, records.Count, maxBytes, (writer, i) =>
        {
            writer.WriteStartObject();
            writer.WriteString("topic", "clicks");
            writer.WriteNumber("partition", 0);
            writer.WriteNumber("offset", i);
            writer.WriteNumber("timestamp", milliseconds);
            writer.WriteString("timestampType", "CREATE_TIME");
            writer.WriteBase64String("key", Encoding.UTF8.GetBytes(records[i].Key));
            writer.WriteBase64String("value", records[i].Value.Span);
            writer.WriteStartArray("headers");
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    // head, then records (comma-separated, each written by write) while they fit, then tail.
    private static (byte[] Json, int Records) Fill(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, int count, int maxBytes, Action<Utf8JsonWriter, int> write)
    {
        var output = new ArrayBufferWriter<byte>(maxBytes);
        output.Write(head);
        var record = new ArrayBufferWriter<byte>(4096);
        var taken = 0;
        for (; taken < count; taken++)
        {
            record.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(record))
            {
                write(writer, taken);
            }

            var comma = taken == 0 ? 0 : 1;
            if (output.WrittenCount + comma + record.WrittenCount + tail.Length > maxBytes)
            {
                break;
            }

            if (comma == 1)
            {
                output.Write(","u8);
            }

            output.Write(record.WrittenSpan);
        }

        output.Write(tail);
        return (output.WrittenSpan.ToArray(), taken);
    }
}
