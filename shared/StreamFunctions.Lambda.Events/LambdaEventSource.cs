using System.Text.Json;

namespace StreamFunctions.Lambda.Events;

/// <summary>Tells which service sent a Lambda event, from its JSON, before it is deserialized.</summary>
public static class LambdaEventSource
{
    /// <summary>A Firehose data-transformation request (it carries no <c>eventSource</c>).</summary>
    public const string Firehose = "aws:firehose";

    /// <summary>An EventBridge event, e.g. a schedule (<c>"source": "aws.events"</c>).</summary>
    public const string EventBridge = "aws.events";

    /// <summary>
    /// The event's source: the top-level <c>eventSource</c> (Kafka: <c>aws:kafka</c>, <c>SelfManagedKafka</c>),
    /// the first record's <c>eventSource</c> (<c>aws:kinesis</c>, <c>aws:sqs</c>, <c>aws:s3</c>, <c>aws:dynamodb</c>), the service
    /// of a top-level <c>eventSourceARN</c> (a tumbling window's final invocation, which may have no records),
    /// <see cref="Firehose"/> for a transformation request, the <c>source</c> of an EventBridge event; null when
    /// none of these is present, the payload is not a JSON object, or the name is not valid UTF-8.
    /// </summary>
    /// <param name="payload">The event (UTF-8 JSON).</param>
    /// <returns>The source, or null.</returns>
    public static string? Of(ReadOnlyMemory<byte> payload)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            try
            {
                return Detect(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // A name that is not valid UTF-8 (JsonDocument checks text only when it is read) names no known source.
                return null;
            }
        }
    }

    private static string? Detect(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (root.TryGetProperty("eventSource", out var top) && top.ValueKind == JsonValueKind.String)
        {
            return top.GetString();
        }

        if (root.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array && records.GetArrayLength() > 0
            && records[0].ValueKind == JsonValueKind.Object && records[0].TryGetProperty("eventSource", out var source) && source.ValueKind == JsonValueKind.String)
        {
            return source.GetString();
        }

        // A tumbling window's final invocation may carry no records: its eventSourceARN still names the stream.
        if (root.TryGetProperty("eventSourceARN", out var arn) && arn.ValueKind == JsonValueKind.String && arn.GetString()!.Split(':') is [_, _, var service, ..]
            && service is "kinesis" or "dynamodb")
        {
            return "aws:" + service;
        }

        if (root.TryGetProperty("deliveryStreamArn", out _) && root.TryGetProperty("records", out _))
        {
            return Firehose;
        }

        return root.TryGetProperty("source", out var eb) && eb.ValueKind == JsonValueKind.String && root.TryGetProperty("detail-type", out _) ? eb.GetString() : null;
    }
}
