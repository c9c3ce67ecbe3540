using System.Text.Json;

namespace StreamFunctions.Lambda.Events;

/// <summary>
/// Tells which service sent a Lambda event, from its JSON, before it is read: one forward <see cref="Utf8JsonReader"/>
/// pass over the top-level members that skips every other value (a 6 MB event's records are stepped over, not
/// built into a document), no allocation but the names it returns.
/// </summary>
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
    /// none of these is present, the payload is not a JSON object (the whole payload is checked: text that is not JSON
    /// names no source, wherever it breaks), or the name is not valid UTF-8. A member given twice counts by its last value.
    /// </summary>
    /// <param name="payload">The event (UTF-8 JSON).</param>
    /// <returns>The source, or null.</returns>
    public static string? Of(ReadOnlyMemory<byte> payload)
    {
        if (!Scan(payload.Span, out var found))
        {
            return null;
        }

        try
        {
            return Detect(payload.Span, found);
        }
        catch (InvalidOperationException)
        {
            // A name that is not valid UTF-8 (the reader checks text only when it is read) names no known source.
            return null;
        }
    }

    /// <summary>The <c>detail-type</c> of an EventBridge event (<c>Scheduled Event</c> for a schedule); null when it has none or is not a JSON object.</summary>
    /// <param name="payload">The event (UTF-8 JSON).</param>
    /// <returns>The detail type, or null.</returns>
    public static string? DetailTypeOf(ReadOnlyMemory<byte> payload)
    {
        if (!Scan(payload.Span, out var found) || found.DetailType.Kind != JsonTokenType.String)
        {
            return null;
        }

        try
        {
            return Text(payload.Span, found.DetailType);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string? Detect(ReadOnlySpan<byte> json, in Found found)
    {
        if (found.EventSource.Kind == JsonTokenType.String)
        {
            return Text(json, found.EventSource);
        }

        if (found.RecordsFirstEventSource.Kind == JsonTokenType.String)
        {
            return Text(json, found.RecordsFirstEventSource);
        }

        // A tumbling window's final invocation may carry no records: its eventSourceARN still names the stream.
        if (found.EventSourceArn.Kind == JsonTokenType.String && Text(json, found.EventSourceArn)!.Split(':') is [_, _, var service, ..]
            && service is "kinesis" or "dynamodb")
        {
            return "aws:" + service;
        }

        // A Firehose transformation request names its delivery stream; older samples and Kinesis Data Analytics'
        // preprocessing requests carry only the invocation id, with records that have record ids.
        if (found.HasFirehoseRecords && (found.HasDeliveryStreamArn || (found.HasInvocationId && found.FirehoseFirstHasRecordId)))
        {
            return Firehose;
        }

        return found.Source.Kind == JsonTokenType.String && found.DetailType.Kind != JsonTokenType.None ? Text(json, found.Source) : null;
    }

    // The whole payload is read (as JsonDocument.Parse did, so that broken JSON names no source), but only the
    // top-level members and the first element of Records/records are looked into; every other value is skipped.
    private static bool Scan(ReadOnlySpan<byte> json, out Found found)
    {
        found = default;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                while (reader.Read())
                {
                }

                return true;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("eventSource"u8))
                {
                    found.EventSource = Value(ref reader);
                }
                else if (reader.ValueTextEquals("Records"u8))
                {
                    found.RecordsFirstEventSource = FirstElementMember(ref reader, "eventSource"u8, out _);
                }
                else if (reader.ValueTextEquals("eventSourceARN"u8))
                {
                    found.EventSourceArn = Value(ref reader);
                }
                else if (reader.ValueTextEquals("records"u8))
                {
                    var first = FirstElementMember(ref reader, "recordId"u8, out var isArray);
                    found.HasFirehoseRecords = true;
                    found.FirehoseFirstHasRecordId = isArray && first.Kind != JsonTokenType.None;
                }
                else if (reader.ValueTextEquals("deliveryStreamArn"u8))
                {
                    found.HasDeliveryStreamArn = true;
                    Value(ref reader);
                }
                else if (reader.ValueTextEquals("invocationId"u8))
                {
                    found.HasInvocationId = true;
                    Value(ref reader);
                }
                else if (reader.ValueTextEquals("source"u8))
                {
                    found.Source = Value(ref reader);
                }
                else if (reader.ValueTextEquals("detail-type"u8))
                {
                    found.DetailType = Value(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Past the root object: only white space may follow.
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            found = default;
            return false;
        }
    }

    // The value after a property name: where it is if it is a string, else only its kind (and it is skipped).
    private static Token Value(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return new Token(JsonTokenType.String, checked((int)reader.TokenStartIndex));
        }

        var kind = reader.TokenType;
        reader.Skip();
        return new Token(kind, -1);
    }

    // The value after a property name, an array: the member `name` (last of that name) of its first element when that
    // is an object; the rest skipped.
    private static Token FirstElementMember(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, out bool isArray)
    {
        reader.Read();
        isArray = reader.TokenType == JsonTokenType.StartArray;
        if (!isArray)
        {
            reader.Skip();
            return default;
        }

        var member = default(Token);
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(name))
                {
                    member = Value(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            reader.Read();
        }

        // The remaining elements.
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Skip();
            reader.Read();
        }

        return member;
    }

    // A string token's text, read again at its place: strings are decoded only for the member that decides.
    private static string? Text(ReadOnlySpan<byte> json, Token token)
    {
        var reader = new Utf8JsonReader(json[token.Start..], new JsonReaderOptions { MaxDepth = 64 });
        reader.Read();
        return reader.GetString();
    }

    private readonly record struct Token(JsonTokenType Kind, int Start);

    private struct Found
    {
        public Token EventSource;
        public Token RecordsFirstEventSource;
        public Token EventSourceArn;
        public bool HasFirehoseRecords;
        public bool FirehoseFirstHasRecordId;
        public bool HasDeliveryStreamArn;
        public bool HasInvocationId;
        public Token Source;
        public Token DetailType;
    }
}
