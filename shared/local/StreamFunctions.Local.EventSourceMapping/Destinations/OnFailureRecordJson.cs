using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace StreamFunctions.Local.EventSourceMapping.Destinations;

/// <summary>Writes an <see cref="OnFailureRecord"/> as the JSON document Lambda sends to on-failure destinations.</summary>
public static class OnFailureRecordJson
{
    /// <summary>The record as UTF-8 JSON. <paramref name="includePayload"/> adds <c>payload</c> (the event as an escaped JSON string), as S3 destinations get it.</summary>
    public static byte[] Serialize(OnFailureRecord record, bool includePayload)
    {
        ArgumentNullException.ThrowIfNull(record);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("requestContext");
            w.WriteString("requestId", record.RequestContext.RequestId);
            w.WriteString("functionArn", record.RequestContext.FunctionArn);
            w.WriteString("condition", record.RequestContext.Condition);
            w.WriteNumber("approximateInvokeCount", record.RequestContext.ApproximateInvokeCount);
            w.WriteEndObject();
            w.WriteStartObject("responseContext");
            w.WriteNumber("statusCode", record.ResponseContext.StatusCode);
            WriteNullable(w, "executedVersion", record.ResponseContext.ExecutedVersion);
            WriteNullable(w, "functionError", record.ResponseContext.FunctionError);
            w.WriteEndObject();
            w.WriteString("version", record.Version);
            w.WriteString("timestamp", Iso(record.Timestamp));
            var info = record.KinesisBatchInfo;
            w.WriteStartObject("KinesisBatchInfo");
            w.WriteString("shardId", info.ShardId);
            w.WriteString("startSequenceNumber", info.StartSequenceNumber);
            w.WriteString("endSequenceNumber", info.EndSequenceNumber);
            w.WriteString("approximateArrivalOfFirstRecord", Iso(info.ApproximateArrivalOfFirstRecord));
            w.WriteString("approximateArrivalOfLastRecord", Iso(info.ApproximateArrivalOfLastRecord));
            w.WriteNumber("batchSize", info.BatchSize);
            w.WriteString("streamArn", info.StreamArn);
            w.WriteEndObject();
            if (includePayload && record.Payload is { } payload)
            {
                w.WriteString("payload", payload.Span);
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>ISO-8601 UTC with milliseconds, as Lambda writes its timestamps (<c>2019-11-14T00:38:06.021Z</c>).</summary>
    public static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
