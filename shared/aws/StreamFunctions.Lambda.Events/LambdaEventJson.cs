using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using StreamFunctions.Lambda.Events.Exceptions;

namespace StreamFunctions.Lambda.Events;

/// <summary>Reads an event into its contract type, turning a parse failure into an error that names the event, the place and the cause.</summary>
public static class LambdaEventJson
{
    /// <summary>
    /// Serializes an event into a buffer sized for it: <c>SerializeToUtf8Bytes</c> grows its buffer by doubling and
    /// allocated 166 MB for a 6 MB body, this about twice the event's size.
    /// </summary>
    /// <typeparam name="T">The contract type.</typeparam>
    /// <param name="value">The event.</param>
    /// <param name="type">Its type info (e.g. <c>LambdaEventsJsonContext.Minimal.APIGatewayHttpApiV2ProxyRequest</c>).</param>
    /// <param name="sizeHint">About how many bytes it takes (its largest field's length, say).</param>
    /// <returns>The UTF-8 JSON.</returns>
    public static ReadOnlyMemory<byte> Serialize<T>(T value, JsonTypeInfo<T> type, int sizeHint)
    {
        ArgumentNullException.ThrowIfNull(type);
        var buffer = new MemoryStream(Math.Max(0, sizeHint) + (16 * 1024));
        JsonSerializer.Serialize(buffer, value, type);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Deserializes <paramref name="payload"/>.</summary>
    /// <typeparam name="T">The contract type.</typeparam>
    /// <param name="payload">The event (UTF-8 JSON).</param>
    /// <param name="type">Its source-generated type info (e.g. <c>LambdaEventsJsonContext.Default.KafkaEvent</c>).</param>
    /// <param name="eventName">The event's kind for the message, e.g. <c>Kafka</c>.</param>
    /// <returns>The event.</returns>
    /// <exception cref="LambdaEventFormatException">It is not JSON, is <c>null</c>, or a field cannot be read; the message says which and why,
    /// e.g. <c>The Kafka event is malformed at $.records.mytopic-0[0].key: 'abc-' is not valid base64: character 3 ('-') is not in the base64 alphabet.</c></exception>
    public static T Deserialize<T>(ReadOnlyMemory<byte> payload, JsonTypeInfo<T> type, string eventName)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(type);
        try
        {
            return JsonSerializer.Deserialize(payload.Span, type)
                ?? throw new LambdaEventFormatException(eventName, "$", $"The {eventName} event is null.");
        }
        catch (JsonException e)
        {
            // The serializer's own messages end with "Path: … | LineNumber: …"; a converter's do not.
            var message = e.Message.Contains(" Path: ", StringComparison.Ordinal) ? e.Message : $"at {e.Path ?? "$"}: {e.Message.TrimEnd('.')}.";
            throw new LambdaEventFormatException(eventName, e.Path, $"The {eventName} event is malformed {message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Text that is not UTF-8 surfaces when it is read.
            throw new LambdaEventFormatException(eventName, null, $"The {eventName} event is malformed: {e.Message}", e);
        }
    }
}
