using System.Buffers;
using System.Text.Json;
using KinesisApiRecord = StreamFunctions.KinesisApi.Model.KinesisRecord;

namespace StreamFunctions.Lambda.Events.Kinesis;

/// <summary>
/// Writes the Kinesis event Lambda sends (docs: lambda/latest/dg/with-kinesis, services-kinesis-windows)
/// straight from the records, without an intermediate object graph: what the local event-source mapping sends, and
/// what <see cref="KinesisEventReader"/> reads.
/// </summary>
public static class KinesisEventWriter
{
    /// <summary>A generous upper bound of the JSON around one record's base64 data, for batch sizing.</summary>
    public const int RecordOverheadBytes = 640;

    /// <summary>The event for <paramref name="records"/>; with a window, the tumbling-window members too.</summary>
    /// <param name="records">The records, in shard order.</param>
    /// <param name="shardId">The shard.</param>
    /// <param name="streamArn">The stream's ARN.</param>
    /// <param name="region">The stream's region.</param>
    /// <param name="invokeIdentityArn">The role the records were read with.</param>
    /// <param name="window">The tumbling window (its bounds and its state as raw JSON), or null.</param>
    /// <param name="isFinalInvokeForWindow">Whether this is the window's last invocation.</param>
    /// <param name="isWindowTerminatedEarly">Whether the window ended early.</param>
    /// <returns>The event's UTF-8 JSON.</returns>
    public static byte[] Write(
        IReadOnlyList<KinesisApiRecord> records,
        string shardId,
        string streamArn,
        string region,
        string invokeIdentityArn,
        (DateTimeOffset Start, DateTimeOffset End, string StateJson)? window,
        bool isFinalInvokeForWindow,
        bool isWindowTerminatedEarly)
    {
        ArgumentNullException.ThrowIfNull(records);
        var buffer = new ArrayBufferWriter<byte>(1024 + (records.Count * 256));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("Records");
            foreach (var record in records)
            {
                w.WriteStartObject();
                w.WriteStartObject("kinesis");
                w.WriteString("kinesisSchemaVersion", "1.0");
                w.WriteString("partitionKey", record.PartitionKey);
                w.WriteString("sequenceNumber", record.SequenceNumber);
                w.WriteBase64String("data", record.Data.Span);
                w.WriteNumber("approximateArrivalTimestamp", record.ApproximateArrivalTimestamp.ToUnixTimeMilliseconds() / 1000m);
                w.WriteEndObject();
                w.WriteString("eventSource", "aws:kinesis");
                w.WriteString("eventVersion", "1.0");
                w.WriteString("eventID", shardId + ":" + record.SequenceNumber);
                w.WriteString("eventName", "aws:kinesis:record");
                w.WriteString("invokeIdentityArn", invokeIdentityArn);
                w.WriteString("awsRegion", region);
                w.WriteString("eventSourceARN", streamArn);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (window is { } tumbling)
            {
                w.WriteStartObject("window");
                w.WriteString("start", Iso(tumbling.Start));
                w.WriteString("end", Iso(tumbling.End));
                w.WriteEndObject();
                w.WritePropertyName("state");
                w.WriteRawValue(tumbling.StateJson, skipInputValidation: true);
                w.WriteString("shardId", shardId);
                w.WriteString("eventSourceARN", streamArn);
                w.WriteBoolean("isFinalInvokeForWindow", isFinalInvokeForWindow);
                w.WriteBoolean("isWindowTerminatedEarly", isWindowTerminatedEarly);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The size one record adds to an event, at most.</summary>
    /// <param name="record">The record.</param>
    /// <returns>Bytes.</returns>
    public static long EstimateBytes(KinesisApiRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return
        (((long)record.Data.Length + 2) / 3 * 4) + (record.PartitionKey.Length * 6) + (record.SequenceNumber.Length * 2) + RecordOverheadBytes;
    }

    private static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
