using StreamFunctions.KinesisApi;
using System.Buffers.Binary;
using System.Text;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>
/// A Kinesis record as the embedded log stores it in one log record: the stream-wide sequence
/// counter (8 bytes), the arrival time in Unix milliseconds (8), the partition key's UTF-8 length
/// (2) and bytes, then the data. All little-endian. The shard is the log it is in.
/// </summary>
internal readonly ref struct StoredRecord
{
    /// <summary>The fixed part's size.</summary>
    public const int HeaderSize = 18;

    /// <summary>The largest partition key in UTF-8 bytes (256 chars of up to 3 bytes each).</summary>
    public const int MaxPartitionKeyBytes = KinesisLimits.MaxPartitionKeyLength * 3;

    public StoredRecord(ulong counter, long arrivalMilliseconds, ReadOnlySpan<byte> partitionKey, ReadOnlySpan<byte> data)
    {
        Counter = counter;
        ArrivalMilliseconds = arrivalMilliseconds;
        PartitionKey = partitionKey;
        Data = data;
    }

    /// <summary>The sequence counter (see <see cref="EmbeddedSequenceNumber"/>).</summary>
    public ulong Counter { get; }

    /// <summary>ApproximateArrivalTimestamp in Unix milliseconds.</summary>
    public long ArrivalMilliseconds { get; }

    /// <summary>The partition key's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> PartitionKey { get; }

    /// <summary>The payload.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>The encoded size.</summary>
    public int EncodedLength => HeaderSize + PartitionKey.Length + Data.Length;

    /// <summary>Encodes into <paramref name="destination"/>, which holds at least <see cref="EncodedLength"/> bytes.</summary>
    public int Encode(Span<byte> destination)
    {
        if (PartitionKey.Length > MaxPartitionKeyBytes)
        {
            throw new ArgumentException($"A partition key of {PartitionKey.Length} UTF-8 bytes is longer than {MaxPartitionKeyBytes}.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, Counter);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], ArrivalMilliseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[16..], (ushort)PartitionKey.Length);
        PartitionKey.CopyTo(destination[HeaderSize..]);
        Data.CopyTo(destination[(HeaderSize + PartitionKey.Length)..]);
        return EncodedLength;
    }

    /// <summary>Decodes a stored record; false when the bytes are too short for their own lengths.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, out StoredRecord record)
    {
        record = default;
        if (source.Length < HeaderSize)
        {
            return false;
        }

        var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(source[16..]);
        if (keyLength > MaxPartitionKeyBytes || source.Length < HeaderSize + keyLength)
        {
            return false;
        }

        record = new StoredRecord(
            BinaryPrimitives.ReadUInt64LittleEndian(source),
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            source.Slice(HeaderSize, keyLength),
            source[(HeaderSize + keyLength)..]);
        return true;
    }

    /// <summary>The partition key as a string.</summary>
    public string PartitionKeyString() => Encoding.UTF8.GetString(PartitionKey);
}
