using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Serialization;

namespace StreamFunctions.Lambda.Events.Kinesis;

/// <summary>
/// Reads a Kinesis event in one forward pass with <see cref="Utf8JsonReader"/>: every record's data is
/// base64-decoded straight into one pooled buffer and exposed as a slice, with no stream, array or
/// string per record for the data, and the fields every record repeats (ARN, region, shard) shared.
/// For the large events Lambda sends (up to 6 MB, 10,000 records). Dispose the batch to return the buffer.
/// </summary>
public static class KinesisEventReader
{
    // 9999-12-31T23:59:59Z, the last second DateTimeOffset holds.
    private const decimal MaxEpochSeconds = 253_402_300_799m;

    /// <summary>Reads an event.</summary>
    /// <param name="json">The event's UTF-8 JSON.</param>
    /// <returns>The records; dispose it when done with the data.</returns>
    /// <exception cref="KinesisEventFormatException">The event is malformed (the record index says where).</exception>
    public static KinesisEventBatch Read(ReadOnlySpan<byte> json)
    {
        // Base64 decodes to at most 3/4 of its length, so the whole event bounds all the data.
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, (json.Length / 4 * 3) + 3));
        var records = new List<KinesisEventRecordView>(Math.Max(4, json.Length / 600));
        var shared = new SharedStrings();
        var used = 0;
        var index = -1;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            Expect(ref reader, JsonTokenType.StartObject, index);
            while (Next(ref reader, index) == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("Records"u8))
                {
                    Next(ref reader, index);
                    reader.Skip();
                    continue;
                }

                Expect(ref reader, JsonTokenType.StartArray, index);
                while (Next(ref reader, index) == JsonTokenType.StartObject)
                {
                    index++;
                    records.Add(ReadRecord(ref reader, buffer, ref used, shared, index));
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    throw new KinesisEventFormatException(index, $"Records must be an array of objects; found {reader.TokenType} after record {index}.");
                }
            }

            return new KinesisEventBatch(buffer, records);
        }
        catch (JsonException error)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new KinesisEventFormatException(index, $"The Kinesis event is not valid JSON (in record {index}): {error.Message}", error);
        }
        catch (InvalidOperationException error)
        {
            // Utf8JsonReader reports a string that is not valid UTF-8 only when it is read as text.
            ArrayPool<byte>.Shared.Return(buffer);
            throw new KinesisEventFormatException(index, $"The Kinesis event is not valid UTF-8 JSON text (in record {index}): {error.Message}", error);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static KinesisEventRecordView ReadRecord(ref Utf8JsonReader reader, byte[] buffer, ref int used, SharedStrings shared, int index)
    {
        string? eventSourceArn = null, awsRegion = null, eventId = null, partitionKey = null, sequenceNumber = null;
        DateTimeOffset arrival = default;
        var dataOffset = -1;
        var dataLength = 0;
        while (Next(ref reader, index) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("kinesis"u8))
            {
                Expect(ref reader, JsonTokenType.StartObject, index);
                while (Next(ref reader, index) == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("data"u8))
                    {
                        Expect(ref reader, JsonTokenType.String, index);
                        dataOffset = used;
                        dataLength = Decode(ref reader, buffer.AsSpan(used), index);
                        used += dataLength;
                    }
                    else if (reader.ValueTextEquals("partitionKey"u8))
                    {
                        partitionKey = ReadString(ref reader, index);
                    }
                    else if (reader.ValueTextEquals("sequenceNumber"u8))
                    {
                        sequenceNumber = ReadString(ref reader, index);
                    }
                    else if (reader.ValueTextEquals("approximateArrivalTimestamp"u8))
                    {
                        Expect(ref reader, JsonTokenType.Number, index);
                        arrival = reader.TryGetDecimal(out var seconds) && seconds >= 0 && seconds <= MaxEpochSeconds
                            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000m))
                            : throw new KinesisEventFormatException(index, $"Record {index}: approximateArrivalTimestamp is not a time in epoch seconds (0 to {MaxEpochSeconds}).");
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
                Expect(ref reader, JsonTokenType.String, index);
                eventSourceArn = shared.Arn(ref reader);
            }
            else if (reader.ValueTextEquals("awsRegion"u8))
            {
                Expect(ref reader, JsonTokenType.String, index);
                awsRegion = shared.Region(ref reader);
            }
            else if (reader.ValueTextEquals("eventID"u8))
            {
                Expect(ref reader, JsonTokenType.String, index);
                eventId = shared.ShardId(ref reader);
            }
            else
            {
                Next(ref reader, index);
                reader.Skip();
            }
        }

        if (dataOffset < 0)
        {
            throw new KinesisEventFormatException(index, $"Record {index} has no kinesis.data.");
        }

        if (sequenceNumber is null)
        {
            throw new KinesisEventFormatException(index, $"Record {index} has no kinesis.sequenceNumber.");
        }

        return new KinesisEventRecordView(
            sequenceNumber,
            partitionKey ?? string.Empty,
            arrival,
            new ReadOnlyMemory<byte>(buffer, dataOffset, dataLength),
            eventId,
            eventSourceArn,
            awsRegion);
    }

    private static int Decode(ref Utf8JsonReader reader, Span<byte> destination, int index)
    {
        ReadOnlySpan<byte> base64 = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (reader.ValueIsEscaped)
        {
            // Some writers escape '/' as "\/": unescape first (rare; allocates for this record only).
            base64 = Encoding.UTF8.GetBytes(reader.GetString()!);
        }

        return Base64Data.TryDecode(base64, destination, out var written, out var error)
            ? written
            : throw new KinesisEventFormatException(index, $"Record {index}: kinesis.data is not valid base64: {error}.");
    }

    private static string ReadString(ref Utf8JsonReader reader, int index)
    {
        Expect(ref reader, JsonTokenType.String, index);
        return reader.GetString()!;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader, int index) =>
        reader.Read() ? reader.TokenType : throw new KinesisEventFormatException(index, $"The Kinesis event ends early (in record {index}).");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, int index)
    {
        if (Next(ref reader, index) != type)
        {
            throw new KinesisEventFormatException(index, $"Expected {type} but found {reader.TokenType} (in record {index}, byte {reader.TokenStartIndex}).");
        }
    }

    // Every record of an event repeats the ARN and region, and the shard in eventID: decode each once.
    private sealed class SharedStrings
    {
        private byte[] _arn = [];
        private string? _arnText;
        private byte[] _region = [];
        private string? _regionText;
        private byte[] _shard = [];
        private string? _shardText;

        public string Arn(ref Utf8JsonReader reader) => Reuse(ref reader, ref _arn, ref _arnText);

        public string Region(ref Utf8JsonReader reader) => Reuse(ref reader, ref _region, ref _regionText);

        // eventID is "shardId:sequenceNumber": keep the shard part, shared.
        public string ShardId(ref Utf8JsonReader reader)
        {
            var value = reader.ValueSpan;
            var colon = value.IndexOf((byte)':');
            var shard = colon < 0 || reader.ValueIsEscaped ? value : value[..colon];
            if (_shardText is null || !shard.SequenceEqual(_shard))
            {
                _shard = shard.ToArray();
                _shardText = Encoding.UTF8.GetString(shard);
            }

            return _shardText;
        }

        private static string Reuse(ref Utf8JsonReader reader, ref byte[] last, ref string? text)
        {
            if (text is null || reader.ValueIsEscaped || !reader.ValueSpan.SequenceEqual(last))
            {
                text = reader.GetString()!;
                last = reader.ValueSpan.ToArray();
            }

            return text;
        }
    }
}

/// <summary>A record read by <see cref="KinesisEventReader"/>: its data is a slice of the batch's pooled buffer.</summary>
/// <param name="SequenceNumber">The sequence number.</param>
/// <param name="PartitionKey">The partition key.</param>
/// <param name="ApproximateArrivalTimestamp">When Kinesis accepted it.</param>
/// <param name="Data">The decoded bytes; valid until the batch is disposed.</param>
/// <param name="ShardId">The shard (from eventID), shared by the batch's records.</param>
/// <param name="EventSourceArn">The stream's ARN, shared.</param>
/// <param name="AwsRegion">The region, shared.</param>
public readonly record struct KinesisEventRecordView(
    string SequenceNumber,
    string PartitionKey,
    DateTimeOffset ApproximateArrivalTimestamp,
    ReadOnlyMemory<byte> Data,
    string? ShardId,
    string? EventSourceArn,
    string? AwsRegion)
{
    /// <summary>Lambda's event id: <c>shardId:sequenceNumber</c>.</summary>
    public string EventId => ShardId is null ? SequenceNumber : ShardId + ":" + SequenceNumber;
}

/// <summary>The records of one Kinesis event; owns the pooled buffer their data lives in.</summary>
public sealed class KinesisEventBatch : IDisposable
{
    private byte[]? _buffer;

    internal KinesisEventBatch(byte[] buffer, List<KinesisEventRecordView> records)
    {
        _buffer = buffer;
        Records = records;
    }

    /// <summary>The records, in event order.</summary>
    public IReadOnlyList<KinesisEventRecordView> Records { get; }

    /// <summary>Returns the buffer to the pool: the records' data must not be used afterwards.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
