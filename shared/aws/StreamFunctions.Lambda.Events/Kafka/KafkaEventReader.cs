using System.Globalization;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Streams;

namespace StreamFunctions.Lambda.Events.Kafka;

/// <summary>
/// Reads an Amazon MSK (<c>aws:kafka</c>) or self-managed Kafka (<c>SelfManagedKafka</c>) event in one forward pass
/// with <see cref="Utf8JsonReader"/> into a <see cref="StreamRecordBatch"/>, one partition per <c>topic-partition</c>:
/// keys, values and header bytes decoded straight into one pooled buffer, the records in a pooled array, the topic and
/// timestamp type decoded once. Dispose the batch to return the buffers.
/// </summary>
public static class KafkaEventReader
{
    private const long MinEpochMilliseconds = -62_135_596_800_000;
    private const long MaxEpochMilliseconds = 253_402_300_799_999;

    /// <summary>Reads an event.</summary>
    /// <param name="json">The event's UTF-8 JSON.</param>
    /// <returns>The records; dispose it when done with the data.</returns>
    /// <exception cref="LambdaEventFormatException">The event is malformed; the message names the JSON path and the cause, e.g.
    /// <c>The Kafka event is malformed at $.records.mytopic-0[0].key: 'abc$' is not valid base64: character 3 ('$') is not in the base64 alphabet.</c></exception>
    public static StreamRecordBatch Read(ReadOnlySpan<byte> json)
    {
        var reading = new StreamReading(json.Length);
        var partitions = new List<StreamPartition>();
        var where = new Place();
        var timestampTypes = new SharedText();
        string eventSource = "aws:kafka";
        string? eventSourceArn = null, bootstrapServers = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (Next(ref reader, where) != JsonTokenType.StartObject)
            {
                throw reader.TokenType == JsonTokenType.Null
                    ? new LambdaEventFormatException("Kafka", "$", "The Kafka event is null.")
                    : where.Malformed($"expected an object, found {reader.TokenType}");
            }

            while (Next(ref reader, where) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("eventSource"u8))
                {
                    eventSource = OptionalString(ref reader, where.At("eventSource")) ?? eventSource;
                }
                else if (reader.ValueTextEquals("eventSourceArn"u8))
                {
                    eventSourceArn = OptionalString(ref reader, where.At("eventSourceArn"));
                }
                else if (reader.ValueTextEquals("bootstrapServers"u8))
                {
                    bootstrapServers = OptionalString(ref reader, where.At("bootstrapServers"));
                }
                else if (reader.ValueTextEquals("records"u8))
                {
                    where.At("records");
                    if (Next(ref reader, where) != JsonTokenType.StartObject)
                    {
                        throw where.Malformed($"expected an object of topic-partitions, found {reader.TokenType}");
                    }

                    while (Next(ref reader, where) == JsonTokenType.PropertyName)
                    {
                        where.TopicPartition = reader.GetString()!;
                        where.Index = -1;
                        where.Field = null;
                        ReadPartition(ref reader, reading, partitions, where, timestampTypes);
                        where.TopicPartition = null;
                    }
                }
                else
                {
                    Next(ref reader, where);
                    reader.Skip();
                }

                where.Field = null;
            }

            var batch = reading.Finish(eventSource, StreamSourceKind.Kafka, partitions, eventSourceArn, bootstrapServers, null);
            reading.Dispose();
            return batch;
        }
        catch (JsonException error)
        {
            reading.Dispose();
            throw new LambdaEventFormatException("Kafka", where.Path, $"The Kafka event is not valid JSON (at {where.Path}): {error.Message}", error);
        }
        catch (InvalidOperationException error)
        {
            // Utf8JsonReader reports a string that is not valid UTF-8 only when it is read as text.
            reading.Dispose();
            throw new LambdaEventFormatException("Kafka", where.Path, $"The Kafka event is malformed at {where.Path}: {error.Message}", error);
        }
        catch
        {
            reading.Dispose();
            throw;
        }
    }

    private static void ReadPartition(ref Utf8JsonReader reader, StreamReading reading, List<StreamPartition> partitions, Place where, SharedText timestampTypes)
    {
        if (Next(ref reader, where) != JsonTokenType.StartArray)
        {
            throw where.Malformed($"expected an array of records, found {reader.TokenType}");
        }

        StreamPartition? partition = null;
        var topicPartition = where.TopicPartition!;
        while (Next(ref reader, where) != JsonTokenType.EndArray)
        {
            where.Index++;
            where.Field = null;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw where.Malformed(reader.TokenType == JsonTokenType.Null ? "the record is null" : $"expected a record (an object), found {reader.TokenType}");
            }

            string? topic = null;
            int number = 0;
            long offset = 0, timestamp = 0;
            string? timestampType = null;
            ReadOnlyMemory<byte>? key = null;
            ReadOnlyMemory<byte> value = ReadOnlyMemory<byte>.Empty;
            List<StreamRecordHeader>? headers = null;
            while (Next(ref reader, where) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("topic"u8))
                {
                    where.Field = "topic";

                    // Only the first record's topic names the partition: the others are not decoded.
                    if (partition is null)
                    {
                        topic = OptionalString(ref reader, where);
                    }
                    else
                    {
                        Next(ref reader, where);
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("partition"u8))
                {
                    where.Field = "partition";
                    number = Next(ref reader, where) == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n : throw where.Malformed(WholeNumber(ref reader, "Int32"));
                }
                else if (reader.ValueTextEquals("offset"u8))
                {
                    where.Field = "offset";
                    offset = Next(ref reader, where) == JsonTokenType.Number && reader.TryGetInt64(out var o) ? o : throw where.Malformed(WholeNumber(ref reader, "Int64"));
                }
                else if (reader.ValueTextEquals("timestamp"u8))
                {
                    where.Field = "timestamp";
                    timestamp = Next(ref reader, where) == JsonTokenType.Number && reader.TryGetInt64(out var t) ? t : throw where.Malformed(WholeNumber(ref reader, "Int64"));
                    if (timestamp is < MinEpochMilliseconds or > MaxEpochMilliseconds)
                    {
                        throw where.Malformed($"{timestamp} is not a time in epoch milliseconds ({MinEpochMilliseconds} to {MaxEpochMilliseconds})");
                    }
                }
                else if (reader.ValueTextEquals("timestampType"u8))
                {
                    where.Field = "timestampType";
                    timestampType = Next(ref reader, where) switch
                    {
                        JsonTokenType.Null => null,
                        JsonTokenType.String => timestampTypes.Read(ref reader),
                        var other => throw where.Malformed($"expected a string, found {other}"),
                    };
                }
                else if (reader.ValueTextEquals("key"u8))
                {
                    where.Field = "key";
                    key = Base64(ref reader, reading, where);
                }
                else if (reader.ValueTextEquals("value"u8))
                {
                    where.Field = "value";
                    value = Base64(ref reader, reading, where) ?? ReadOnlyMemory<byte>.Empty;
                }
                else if (reader.ValueTextEquals("headers"u8))
                {
                    where.Field = "headers";
                    headers = Headers(ref reader, reading, where);
                }
                else
                {
                    Next(ref reader, where);
                    reader.Skip();
                }

                where.Field = null;
            }

            partition ??= Partition(partitions, topicPartition, topic, number);
            reading.Add(new StreamRecord(partition, null, offset, null, key, DateTimeOffset.FromUnixTimeMilliseconds(timestamp), value, timestampType, headers));
        }
    }

    private static StreamPartition Partition(List<StreamPartition> partitions, string topicPartition, string? topic, int number)
    {
        var partition = new StreamPartition(StreamSourceKind.Kafka, topicPartition, null, null, null, null, topic ?? topicPartition[..Math.Max(0, topicPartition.LastIndexOf('-'))], number);
        partitions.Add(partition);
        return partition;
    }

    private static ReadOnlyMemory<byte>? Base64(ref Utf8JsonReader reader, StreamReading reading, Place where)
    {
        switch (Next(ref reader, where))
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reading.TryDecode(ref reader, out var data) is { } error ? throw where.Malformed(error) : data;
            case var other:
                throw where.Malformed($"a base64 string is expected, not {other}");
        }
    }

    // [{"name": [signed byte, ...]}, ...]: Java's bytes, -128 to 127.
    private static List<StreamRecordHeader>? Headers(ref Utf8JsonReader reader, StreamReading reading, Place where)
    {
        var type = Next(ref reader, where);
        if (type == JsonTokenType.Null)
        {
            return null;
        }

        if (type != JsonTokenType.StartArray)
        {
            throw where.Malformed($"expected an array of one-entry objects, found {type}");
        }

        List<StreamRecordHeader>? headers = null;
        var at = -1;
        while (Next(ref reader, where) != JsonTokenType.EndArray)
        {
            at++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw where.Malformed($"header {at} is {reader.TokenType}, not an object");
            }

            while (Next(ref reader, where) == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (Next(ref reader, where) != JsonTokenType.StartArray)
                {
                    throw where.Malformed($"header {at} ('{name}') is {reader.TokenType}, not an array of byte values");
                }

                var start = reading.Used;
                var length = 0;
                while (Next(ref reader, where) != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var b) || b is < sbyte.MinValue or > sbyte.MaxValue)
                    {
                        throw where.Malformed($"header {at} ('{name}') holds {reader.TokenType} {System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}, not a byte value (-128 to 127)");
                    }

                    reading.Append(unchecked((byte)(sbyte)b));
                    length++;
                }

                (headers ??= []).Add(new StreamRecordHeader(name, new ReadOnlyMemory<byte>(reading.Buffer, start, length)));
            }
        }

        return headers;
    }

    private static string WholeNumber(ref Utf8JsonReader reader, string type) =>
        reader.TokenType == JsonTokenType.Number
            ? $"{System.Text.Encoding.UTF8.GetString(reader.ValueSpan)} is not a whole number that fits {type}"
            : $"expected a whole number ({type}), found {reader.TokenType}";

    private static string? OptionalString(ref Utf8JsonReader reader, Place where) => Next(ref reader, where) switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        var other => throw where.Malformed($"expected a string, found {other}"),
    };

    private static JsonTokenType Next(ref Utf8JsonReader reader, Place where) =>
        reader.Read() ? reader.TokenType : throw new LambdaEventFormatException("Kafka", where.Path, $"The Kafka event ends early (at {where.Path}).");

    // Where the reader is, for an error: built into a path only when one is raised.
    private sealed class Place
    {
        public string? TopicPartition { get; set; }

        public int Index { get; set; } = -1;

        public string? Field { get; set; }

        public string Path
        {
            get
            {
                if (TopicPartition is null)
                {
                    return Field is null ? "$" : "$." + Field;
                }

                var path = "$.records." + TopicPartition;
                if (Index >= 0)
                {
                    path += "[" + Index.ToString(CultureInfo.InvariantCulture) + "]";
                }

                return Field is null ? path : path + "." + Field;
            }
        }

        public Place At(string field)
        {
            Field = field;
            return this;
        }

        public LambdaEventFormatException Malformed(string cause) => new("Kafka", Path, $"The Kafka event is malformed at {Path}: {cause}.");
    }
}
