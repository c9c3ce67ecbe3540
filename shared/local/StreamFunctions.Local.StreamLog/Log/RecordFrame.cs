using System.Buffers.Binary;

namespace StreamFunctions.Local.StreamLog.Log;

/// <summary>What <see cref="RecordFrame.TryDecode"/> found at a position.</summary>
public enum FrameStatus
{
    /// <summary>A whole record whose checksum matches.</summary>
    Valid,

    /// <summary>The bytes end before the record does (read more, or it is a torn tail).</summary>
    Incomplete,

    /// <summary>A zero length: never written (the end of the data, or a zero-filled tail).</summary>
    Empty,

    /// <summary>A length out of range or a checksum that does not match.</summary>
    Corrupt,
}

/// <summary>
/// The on-disk record frame: a 4-byte little-endian payload length, the CRC-32C of those 4 bytes
/// and the payload, then the payload. The length is inside the checksum so a torn or flipped length
/// is caught before it sends a reader past the record.
/// </summary>
public static class RecordFrame
{
    /// <summary>The header size: length and checksum.</summary>
    public const int HeaderSize = 8;

    /// <summary>The frame size of a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int FrameLength(int payloadLength) => HeaderSize + payloadLength;

    /// <summary>Writes the frame of <paramref name="payload"/> to <paramref name="destination"/>, which must hold <see cref="FrameLength"/> bytes.</summary>
    /// <returns>The bytes written.</returns>
    public static int Encode(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var length = FrameLength(payload.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the frame needs {length}.", nameof(destination));
        }

        if (payload.Length == 0)
        {
            throw new ArgumentException("A record payload must not be empty: a zero length marks unwritten space.", nameof(payload));
        }

        BinaryPrimitives.WriteInt32LittleEndian(destination, payload.Length);
        payload.CopyTo(destination[HeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Checksum(destination[..4], payload));
        return length;
    }

    /// <summary>Reads the frame at the start of <paramref name="source"/>.</summary>
    /// <param name="source">Bytes from a frame boundary on.</param>
    /// <param name="maxPayloadLength">A larger length is <see cref="FrameStatus.Corrupt"/>.</param>
    /// <param name="payload">The payload, a slice of <paramref name="source"/>, when valid.</param>
    /// <param name="frameLength">The frame's length when valid, or the bytes needed when incomplete.</param>
    public static FrameStatus TryDecode(ReadOnlySpan<byte> source, int maxPayloadLength, out ReadOnlySpan<byte> payload, out int frameLength)
    {
        payload = default;
        frameLength = HeaderSize;
        if (source.Length < HeaderSize)
        {
            return source.Length >= 4 && BinaryPrimitives.ReadInt32LittleEndian(source) == 0 && IsZero(source) ? FrameStatus.Empty : FrameStatus.Incomplete;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(source);
        if (length == 0)
        {
            return BinaryPrimitives.ReadUInt32LittleEndian(source[4..]) == 0 ? FrameStatus.Empty : FrameStatus.Corrupt;
        }

        if (length < 0 || length > maxPayloadLength)
        {
            return FrameStatus.Corrupt;
        }

        frameLength = HeaderSize + length;
        if (source.Length < frameLength)
        {
            return FrameStatus.Incomplete;
        }

        var body = source.Slice(HeaderSize, length);
        if (Checksum(source[..4], body) != BinaryPrimitives.ReadUInt32LittleEndian(source[4..]))
        {
            return FrameStatus.Corrupt;
        }

        payload = body;
        return FrameStatus.Valid;
    }

    private static uint Checksum(ReadOnlySpan<byte> lengthBytes, ReadOnlySpan<byte> payload) =>
        ~Crc32C.Update(Crc32C.Update(uint.MaxValue, lengthBytes), payload);

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
