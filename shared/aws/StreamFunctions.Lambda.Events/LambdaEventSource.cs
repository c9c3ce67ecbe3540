using System.Text.Json;

namespace StreamFunctions.Lambda.Events;

/// <summary>Tells which service sent a Lambda event, from its JSON, before it is deserialized.</summary>
public static class LambdaEventSource
{
    /// <summary>A Firehose data-transformation request (it carries no <c>eventSource</c>).</summary>
    public const string Firehose = "aws:firehose";

    /// <summary>An EventBridge event, e.g. a schedule (<c>"source": "aws.events"</c>).</summary>
    public const string EventBridge = "aws.events";

    /// <summary>The <c>detail-type</c> of the events an EventBridge schedule sends.</summary>
    public const string ScheduledEvent = "Scheduled Event";

    /// <summary>What <see cref="Of"/> looks for, for an error about an event that names none of it.</summary>
    public const string WhatIsLookedFor = "eventSource (at the top or in Records[0]), eventSourceARN, deliveryStreamArn or invocationId with records[0].recordId (Firehose), or source with detail-type (EventBridge)";

    /// <summary>A source for an error message: the source quoted, or that the event names none and what was looked for.</summary>
    /// <param name="source">What <see cref="Of"/> returned.</param>
    /// <returns>E.g. <c>'aws:sqs'</c>, or <c>not named (it has no eventSource ...)</c>.</returns>
    public static string Describe(string? source) => source is null ? $"not named (it has none of {WhatIsLookedFor})" : $"'{source}'";

    /// <summary>
    /// The event's source: the top-level <c>eventSource</c> (Kafka: <c>aws:kafka</c>, <c>SelfManagedKafka</c>),
    /// the first record's <c>eventSource</c> (<c>aws:kinesis</c>, <c>aws:sqs</c>, <c>aws:s3</c>, <c>aws:dynamodb</c>), the service
    /// of a top-level <c>eventSourceARN</c> (a tumbling window's final invocation, which may have no records),
    /// <see cref="Firehose"/> for a transformation request (<c>deliveryStreamArn</c>, or <c>invocationId</c> and records with a
    /// <c>recordId</c>), the <c>source</c> of an EventBridge event; null when
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

    /// <summary>The <c>detail-type</c> of an EventBridge event (<c>Scheduled Event</c> for a schedule); null when it has none or is not a JSON object.</summary>
    /// <param name="payload">The event (UTF-8 JSON).</param>
    /// <returns>The detail type, or null.</returns>
    public static string? DetailTypeOf(ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail-type", out var type) && type.ValueKind == JsonValueKind.String
                ? type.GetString()
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
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

        // A Firehose transformation request names its delivery stream; older samples and Kinesis Data Analytics'
        // preprocessing requests carry only the invocation id, with records that have record ids.
        if (root.TryGetProperty("records", out var firehose) && (root.TryGetProperty("deliveryStreamArn", out _)
            || (root.TryGetProperty("invocationId", out _) && firehose.ValueKind == JsonValueKind.Array && firehose.GetArrayLength() > 0
                && firehose[0].ValueKind == JsonValueKind.Object && firehose[0].TryGetProperty("recordId", out _))))
        {
            return Firehose;
        }

        return root.TryGetProperty("source", out var eb) && eb.ValueKind == JsonValueKind.String && root.TryGetProperty("detail-type", out _) ? eb.GetString() : null;
    }
}
