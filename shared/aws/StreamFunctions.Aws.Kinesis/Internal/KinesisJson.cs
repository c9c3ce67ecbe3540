using System.Buffers;
using System.Globalization;
using System.Text.Json;
using StreamFunctions.Aws.Kinesis.Exceptions;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Aws.Kinesis.Internal;

/// <summary>
/// The Kinesis JSON 1.1 wire format: request bodies written with <see cref="Utf8JsonWriter"/>,
/// responses read with <see cref="JsonDocument"/> (no reflection, AOT-safe). Blobs are base64,
/// timestamps are epoch seconds with a fraction.
/// </summary>
internal static class KinesisJson
{
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteTimestamp(Utf8JsonWriter writer, string name, DateTimeOffset value) =>
        writer.WriteNumber(name, value.ToUnixTimeMilliseconds() / 1000m);

    // A stream named by its name or by its ARN: Kinesis takes either, as StreamName or StreamARN. An ARN reaches a stream
    // of another account (one shared with a resource policy), which a name cannot.
    public static void WriteStream(Utf8JsonWriter writer, string nameOrArn)
    {
        writer.WriteString(nameOrArn.StartsWith("arn:", StringComparison.Ordinal) ? "StreamARN" : "StreamName", nameOrArn);
    }

    public static void WriteIfNotNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    public static string RequiredString(JsonElement element, string name, string operation) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Malformed(operation, $"has no string '{name}'");

    public static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static int RequiredInt(JsonElement element, string name, string operation) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw Malformed(operation, $"has no integer '{name}'");

    public static DateTimeOffset Timestamp(JsonElement element, string name, string operation)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            throw Malformed(operation, $"has no timestamp '{name}'");
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(value.GetDecimal() * 1000m)),
            JsonValueKind.String when DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
            _ => throw Malformed(operation, $"has a timestamp '{name}' that is neither epoch seconds nor ISO 8601"),
        };
    }

    public static HashKeyRange HashKeyRange(JsonElement element, string operation)
    {
        if (!element.TryGetProperty("HashKeyRange", out var range))
        {
            throw Malformed(operation, "has a shard without HashKeyRange");
        }

        return new HashKeyRange(
            HashKeys.Parse(RequiredString(range, "StartingHashKey", operation)),
            HashKeys.Parse(RequiredString(range, "EndingHashKey", operation)));
    }

    public static EncryptionType Encryption(JsonElement element) =>
        OptionalString(element, "EncryptionType") is { } wire ? KinesisWireNames.ParseEncryptionType(wire) : EncryptionType.None;

    public static Shard Shard(JsonElement element, string operation)
    {
        var sequence = element.TryGetProperty("SequenceNumberRange", out var range)
            ? new SequenceNumberRange(RequiredString(range, "StartingSequenceNumber", operation), OptionalString(range, "EndingSequenceNumber"))
            : throw Malformed(operation, "has a shard without SequenceNumberRange");
        return new Shard(
            RequiredString(element, "ShardId", operation),
            OptionalString(element, "ParentShardId"),
            OptionalString(element, "AdjacentParentShardId"),
            HashKeyRange(element, operation),
            sequence);
    }

    public static ChildShard ChildShard(JsonElement element, string operation)
    {
        var parents = new List<string>();
        if (element.TryGetProperty("ParentShards", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var parent in list.EnumerateArray())
            {
                parents.Add(parent.GetString() ?? throw Malformed(operation, "has a null parent shard id"));
            }
        }

        return new ChildShard(RequiredString(element, "ShardId", operation), parents, HashKeyRange(element, operation));
    }

    public static StreamConsumer Consumer(JsonElement element, string operation) => new(
        RequiredString(element, "ConsumerName", operation),
        RequiredString(element, "ConsumerARN", operation),
        RequiredString(element, "ConsumerStatus", operation),
        Timestamp(element, "ConsumerCreationTimestamp", operation));

    public static KinesisProtocolException Malformed(string operation, string what) =>
        new(operation, $"The Kinesis {operation} response {what}.");
}
