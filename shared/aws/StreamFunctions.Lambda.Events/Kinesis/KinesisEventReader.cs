using System.Globalization;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Streams;

namespace StreamFunctions.Lambda.Events.Kinesis;

/// <summary>
/// Reads a Kinesis event (and a tumbling-window event's window and state) in one forward pass with
/// <see cref="Utf8JsonReader"/> into a <see cref="StreamRecordBatch"/>: every record's data is base64-decoded straight
/// into one pooled buffer and exposed as a slice, the records themselves in a pooled array, with no stream, array or
/// string per record for the data, and the fields every record repeats (ARN, region, shard) decoded once. For the
/// large events Lambda sends (up to 6 MB, 10,000 records). Dispose the batch to return the buffers.
/// <see cref="KinesisEventWriter"/> writes the same format.
/// </summary>
public static class KinesisEventReader
{
    /// <summary>The shard of a record whose event names none (no <c>eventID</c>).</summary>
    public const string DefaultShardId = "shardId-000000000000";

    // 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the seconds DateTimeOffset holds (what the contract's converter reads).
    private const decimal MinEpochSeconds = -62_135_596_800m;
    private const decimal MaxEpochSeconds = 253_402_300_799m;

    /// <summary>Reads an event.</summary>
    /// <param name="json">The event's UTF-8 JSON.</param>
    /// <returns>The records; dispose it when done with the data.</returns>
    /// <exception cref="KinesisEventFormatException">The event is malformed: the message names the place as a JSON path
    /// (<c>The Kinesis event is malformed at $.Records[0].kinesis.data: '…' is not valid base64: …</c>) and the record index.</exception>
    public static StreamRecordBatch Read(ReadOnlySpan<byte> json)
    {
        var reading = new StreamReading(json.Length);
        var partitions = new List<StreamPartition>(1);
        var shared = new Shared();
        var index = -1;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            Expect(ref reader, JsonTokenType.StartObject, -1, "");
            WindowParts window = default;
            while (Next(ref reader, index) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("Records"u8))
                {
                    Expect(ref reader, JsonTokenType.StartArray, -1, "Records");
                    while (Next(ref reader, index) == JsonTokenType.StartObject)
                    {
                        index++;
                        ReadRecord(ref reader, reading, partitions, shared, index);
                    }

                    if (reader.TokenType != JsonTokenType.EndArray)
                    {
                        throw new KinesisEventFormatException(index, $"The Kinesis event is malformed at $.Records[{index + 1}]: Records must be an array of objects; found {reader.TokenType} after record {index}.");
                    }
                }
                else if (reader.ValueTextEquals("window"u8))
                {
                    ReadWindow(ref reader, ref window);
                }
                else if (reader.ValueTextEquals("state"u8))
                {
                    window.State = ReadState(ref reader);
                }
                else if (reader.ValueTextEquals("shardId"u8))
                {
                    window.ShardId = OptionalString(ref reader, -1, "shardId");
                }
                else if (reader.ValueTextEquals("eventSourceARN"u8))
                {
                    window.EventSourceArn = OptionalString(ref reader, -1, "eventSourceARN");
                }
                else if (reader.ValueTextEquals("isFinalInvokeForWindow"u8))
                {
                    window.IsFinal = Boolean(ref reader, -1, "isFinalInvokeForWindow");
                }
                else if (reader.ValueTextEquals("isWindowTerminatedEarly"u8))
                {
                    window.TerminatedEarly = Boolean(ref reader, -1, "isWindowTerminatedEarly");
                }
                else
                {
                    Next(ref reader, index);
                    reader.Skip();
                }
            }

            var tumbling = window.HasWindow
                ? new KinesisTumblingWindow(window.Start, window.End, window.State ?? new Dictionary<string, JsonElement>(), window.ShardId, window.IsFinal, window.TerminatedEarly)
                : null;
            var batch = reading.Finish("aws:kinesis", StreamSourceKind.Kinesis, partitions, window.EventSourceArn, null, tumbling);
            reading.Dispose();
            return batch;
        }
        catch (JsonException error)
        {
            reading.Dispose();
            throw new KinesisEventFormatException(index, $"The Kinesis event is not valid JSON (in record {index}): {error.Message}", error);
        }
        catch (InvalidOperationException error)
        {
            // Utf8JsonReader reports a string that is not valid UTF-8 only when it is read as text.
            reading.Dispose();
            throw new KinesisEventFormatException(index, $"The Kinesis event is not valid UTF-8 JSON text (in record {index}): {error.Message}", error);
        }
        catch
        {
            reading.Dispose();
            throw;
        }
    }

    private static void ReadRecord(ref Utf8JsonReader reader, StreamReading reading, List<StreamPartition> partitions, Shared shared, int index)
    {
        string? eventSourceArn = null, awsRegion = null, shardId = null, partitionKey = null, sequenceNumber = null;
        DateTimeOffset arrival = default;
        ReadOnlyMemory<byte>? data = null;
        while (Next(ref reader, index) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("kinesis"u8))
            {
                Expect(ref reader, JsonTokenType.StartObject, index, "kinesis");
                while (Next(ref reader, index) == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("data"u8))
                    {
                        Expect(ref reader, JsonTokenType.String, index, "kinesis.data");
                        data = reading.TryDecode(ref reader, out var decoded) is { } error
                            ? throw Malformed(index, "kinesis.data", error)
                            : decoded;
                    }
                    else if (reader.ValueTextEquals("partitionKey"u8))
                    {
                        Expect(ref reader, JsonTokenType.String, index, "kinesis.partitionKey");
                        partitionKey = reader.GetString();
                    }
                    else if (reader.ValueTextEquals("sequenceNumber"u8))
                    {
                        Expect(ref reader, JsonTokenType.String, index, "kinesis.sequenceNumber");
                        sequenceNumber = reader.GetString();
                    }
                    else if (reader.ValueTextEquals("approximateArrivalTimestamp"u8))
                    {
                        Expect(ref reader, JsonTokenType.Number, index, "kinesis.approximateArrivalTimestamp");
                        arrival = reader.TryGetDecimal(out var seconds) && seconds >= MinEpochSeconds && seconds <= MaxEpochSeconds
                            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000m))
                            : throw Malformed(index, "kinesis.approximateArrivalTimestamp", $"{System.Text.Encoding.UTF8.GetString(reader.ValueSpan)} is not a time in epoch seconds ({MinEpochSeconds} to {MaxEpochSeconds})");
                    }
                    else
                    {
                        Next(ref reader, index);
                        reader.Skip();
                    }
                }
            }
            else if (reader.ValueTextEquals("eventSourceARN"u8))
            {
                Expect(ref reader, JsonTokenType.String, index, "eventSourceARN");
                eventSourceArn = shared.Arn.Read(ref reader);
            }
            else if (reader.ValueTextEquals("awsRegion"u8))
            {
                Expect(ref reader, JsonTokenType.String, index, "awsRegion");
                awsRegion = shared.Region.Read(ref reader);
            }
            else if (reader.ValueTextEquals("eventID"u8))
            {
                Expect(ref reader, JsonTokenType.String, index, "eventID");

                // eventID is "shardId:sequenceNumber": the shard part, shared.
                var value = reader.ValueSpan;
                var colon = value.IndexOf((byte)':');
                shardId = colon > 0 && !reader.ValueIsEscaped ? shared.Shard.Of(value[..colon]) : null;
            }
            else
            {
                Next(ref reader, index);
                reader.Skip();
            }
        }

        if (data is not { } bytes)
        {
            throw Malformed(index, "", "the record has no kinesis.data");
        }

        if (sequenceNumber is null)
        {
            throw Malformed(index, "", "the record has no kinesis.sequenceNumber");
        }

        var partition = PartitionOf(partitions, eventSourceArn, shardId, awsRegion);
        reading.Add(new StreamRecord(partition, sequenceNumber, 0, partitionKey ?? string.Empty, null, arrival, bytes, null, null));
    }

    // The records of one event are of one shard (Lambda's mapping sends a shard per event): the last partition first.
    private static StreamPartition PartitionOf(List<StreamPartition> partitions, string? arn, string? shardId, string? region)
    {
        for (var i = partitions.Count - 1; i >= 0; i--)
        {
            var p = partitions[i];
            if (p.SourceArn == arn && p.ShardId == shardId && p.Region == region)
            {
                return p;
            }
        }

        var name = arn is null ? null : arn[(arn.LastIndexOf('/') + 1)..];
        var partition = new StreamPartition(StreamSourceKind.Kinesis, shardId ?? DefaultShardId, arn, name, shardId, region, null, 0);
        partitions.Add(partition);
        return partition;
    }

    private static void ReadWindow(ref Utf8JsonReader reader, ref WindowParts window)
    {
        if (Next(ref reader, -1) == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Malformed(-1, "window", $"expected an object, found {reader.TokenType}");
        }

        window.HasWindow = true;
        while (Next(ref reader, -1) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("start"u8))
            {
                window.Start = IsoTime(ref reader, "window.start");
            }
            else if (reader.ValueTextEquals("end"u8))
            {
                window.End = IsoTime(ref reader, "window.end");
            }
            else
            {
                Next(ref reader, -1);
                reader.Skip();
            }
        }
    }

    private static DateTimeOffset IsoTime(ref Utf8JsonReader reader, string field)
    {
        Expect(ref reader, JsonTokenType.String, -1, field);
        var text = reader.GetString()!;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw Malformed(-1, field, $"'{text}' is not an ISO 8601 time");
    }

    private static Dictionary<string, JsonElement>? ReadState(ref Utf8JsonReader reader)
    {
        if (Next(ref reader, -1) == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Malformed(-1, "state", $"expected an object, found {reader.TokenType}");
        }

        var state = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        while (Next(ref reader, -1) == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            Next(ref reader, -1);
            state[name] = JsonElement.ParseValue(ref reader);
        }

        return state;
    }

    private static string? OptionalString(ref Utf8JsonReader reader, int index, string field)
    {
        var type = Next(ref reader, index);
        return type == JsonTokenType.Null ? null
            : type == JsonTokenType.String ? reader.GetString()
            : throw Malformed(index, field, $"expected a string, found {type}");
    }

    private static bool Boolean(ref Utf8JsonReader reader, int index, string field) => Next(ref reader, index) switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        var other => throw Malformed(index, field, $"expected true or false, found {other}"),
    };

    // The place is built only for the error: a record's fields are named by constants, not by a path per record.
    private static KinesisEventFormatException Malformed(int index, string field, string cause) =>
        new(index, $"The Kinesis event is malformed at {Path(index, field)}: {cause}.");

    private static string Path(int index, string field) =>
        (index < 0 ? "$" : $"$.Records[{index.ToString(CultureInfo.InvariantCulture)}]") + (field.Length == 0 ? string.Empty : "." + field);

    private static JsonTokenType Next(ref Utf8JsonReader reader, int index) =>
        reader.Read() ? reader.TokenType : throw new KinesisEventFormatException(index, $"The Kinesis event ends early (in record {index}).");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, int index, string field)
    {
        if (Next(ref reader, index) != type)
        {
            throw Malformed(index, field, $"expected {type} but found {reader.TokenType} (byte {reader.TokenStartIndex})");
        }
    }

    private struct WindowParts
    {
        public bool HasWindow;
        public DateTimeOffset Start;
        public DateTimeOffset End;
        public Dictionary<string, JsonElement>? State;
        public string? ShardId;
        public string? EventSourceArn;
        public bool IsFinal;
        public bool TerminatedEarly;
    }

    private sealed class Shared
    {
        public SharedText Arn { get; } = new();

        public SharedText Region { get; } = new();

        public SharedText Shard { get; } = new();
    }
}
