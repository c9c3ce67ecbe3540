using System.Buffers.Binary;
using System.IO.Compression;
using StreamFunctions.Formats.Compression.Internal;

namespace StreamFunctions.Formats.Compression;

/// <summary>One segment of a GZIP member: the CRC-32 and length of its uncompressed bytes.</summary>
/// <param name="Crc">CRC-32 of the uncompressed bytes.</param>
/// <param name="Length">Uncompressed length.</param>
/// <param name="CompressedLength">Bytes written.</param>
public readonly record struct GzipSegment(uint Crc, long Length, long CompressedLength);

/// <summary>
/// Builds one standard GZIP member out of segments compressed independently, at different times (the way
/// pigz compresses in parallel): each segment is raw DEFLATE ending with a sync flush (an empty stored
/// block, <c>00 00 FF FF</c>), so segments concatenate into one DEFLATE stream; the member is the
/// <see cref="Header"/>, the segments in order, and the <see cref="Trailer"/> (a final empty block, then the
/// CRC-32 of all the data, combined from the segments' with <see cref="Combine"/>, and its length).
/// Readers see an ordinary single-member .gz file.
/// </summary>
public static class GzipSegments
{
    /// <summary>The member header: DEFLATE, no name, no time, unknown OS.</summary>
    public static ReadOnlySpan<byte> Header => [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF];

    /// <summary>Compresses a segment into <paramref name="destination"/>.</summary>
    /// <param name="data">The uncompressed bytes.</param>
    /// <param name="destination">Where the segment's DEFLATE bytes go.</param>
    /// <param name="level">The zlib level, 0–9.</param>
    /// <returns>The segment's CRC and lengths.</returns>
    public static GzipSegment Compress(ReadOnlySpan<byte> data, Stream destination, int level)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var capture = new SegmentCapture(destination);
        using (var deflate = new DeflateStream(capture, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
        {
            deflate.Write(data);
            deflate.Flush();
            capture.Closed = true;
        }

        return new GzipSegment(Crc32.Append(0, data), data.Length, capture.Written);
    }

    /// <summary>The member trailer: a final empty DEFLATE block, the CRC-32 and the length (mod 2^32) of all the data.</summary>
    /// <param name="crc">CRC-32 of the whole uncompressed data.</param>
    /// <param name="length">Its length.</param>
    /// <returns>10 bytes.</returns>
    public static byte[] Trailer(uint crc, long length)
    {
        var trailer = new byte[10];
        trailer[0] = 0x03;
        trailer[1] = 0x00;
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(2), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(6), unchecked((uint)length));
        return trailer;
    }

    /// <summary>The CRC-32 of A followed by B, from the CRC of A, the CRC of B and the length of B (zlib's crc32_combine).</summary>
    /// <param name="crcA">CRC-32 of A.</param>
    /// <param name="crcB">CRC-32 of B.</param>
    /// <param name="lengthB">Length of B.</param>
    /// <returns>CRC-32 of AB.</returns>
    public static uint Combine(uint crcA, uint crcB, long lengthB)
    {
        if (lengthB <= 0)
        {
            return crcA;
        }

        Span<uint> even = stackalloc uint[32];
        Span<uint> odd = stackalloc uint[32];
        odd[0] = 0xEDB88320;
        uint row = 1;
        for (var n = 1; n < 32; n++)
        {
            odd[n] = row;
            row <<= 1;
        }

        Square(even, odd);
        Square(odd, even);
        var crc = crcA;
        do
        {
            Square(even, odd);
            if ((lengthB & 1) != 0)
            {
                crc = Times(even, crc);
            }

            lengthB >>= 1;
            if (lengthB == 0)
            {
                break;
            }

            Square(odd, even);
            if ((lengthB & 1) != 0)
            {
                crc = Times(odd, crc);
            }

            lengthB >>= 1;
        }
        while (lengthB != 0);
        return crc ^ crcB;
    }

    private static uint Times(ReadOnlySpan<uint> matrix, uint vector)
    {
        uint sum = 0;
        for (var i = 0; vector != 0; i++, vector >>= 1)
        {
            if ((vector & 1) != 0)
            {
                sum ^= matrix[i];
            }
        }

        return sum;
    }

    private static void Square(Span<uint> square, ReadOnlySpan<uint> matrix)
    {
        for (var n = 0; n < 32; n++)
        {
            square[n] = Times(matrix, matrix[n]);
        }
    }

    // Passes the sync-flushed bytes through and swallows the final block DeflateStream writes when disposed.
    private sealed class SegmentCapture(Stream destination) : Stream
    {
        public bool Closed { get; set; }

        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (!Closed)
            {
                destination.Write(buffer);
                Written += buffer.Length;
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
