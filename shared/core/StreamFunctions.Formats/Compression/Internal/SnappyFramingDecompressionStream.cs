using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using Snappier;
using StreamFunctions.Formats.Exceptions;

namespace StreamFunctions.Formats.Compression.Internal;

/// <summary>
/// Reads the Snappy framing format (google/snappy framing_format.txt) strictly: the stream identifier first,
/// compressed and uncompressed chunks checked against their masked CRC-32C, skippable chunks skipped,
/// reserved unskippable ones refused, and a chunk cut short reported (Snappier's own reader returns the
/// bytes it has instead).
/// </summary>
internal sealed class SnappyFramingDecompressionStream(Stream source, bool leaveOpen) : BlockDecompressionStream(source, leaveOpen)
{
    private const int MaxChunkData = 65536;
    private byte[] _chunk = ArrayPool<byte>.Shared.Rent(MaxChunkData + 1024);
    private readonly byte[] _output = ArrayPool<byte>.Shared.Rent(MaxChunkData);
    private bool _sawIdentifier;

    protected override bool ReadBlock()
    {
        Span<byte> header = stackalloc byte[4];
        var start = Offset;
        var got = ReadFully(header);
        if (got == 0)
        {
            return false;
        }

        if (got < 4)
        {
            throw Corrupt($"the chunk header at byte {start} is cut short");
        }

        var type = header[0];
        var length = header[1] | (header[2] << 8) | (header[3] << 16);
        if (length > _chunk.Length)
        {
            // Chunk lengths are 24-bit (up to 16 MiB); only skippable chunks may be that large.
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = ArrayPool<byte>.Shared.Rent(length);
        }

        if (ReadFully(_chunk.AsSpan(0, length)) < length)
        {
            throw Corrupt($"the chunk at byte {start} (type 0x{type:X2}) claims {length} bytes and is cut short");
        }

        var body = _chunk.AsSpan(0, length);
        if (!_sawIdentifier && type != 0xFF)
        {
            throw Corrupt("it does not start with the stream identifier (sNaPpY)");
        }

        SetOutput(_output, 0);
        switch (type)
        {
            case 0xFF:
                if (!body.SequenceEqual("sNaPpY"u8))
                {
                    throw Corrupt($"the stream identifier at byte {start} is wrong");
                }

                _sawIdentifier = true;
                return true;
            case 0x00 or 0x01:
                if (length < 4)
                {
                    throw Corrupt($"the chunk at byte {start} is too short for its checksum");
                }

                var expected = BinaryPrimitives.ReadUInt32LittleEndian(body);
                var data = body[4..];
                int produced;
                if (type == 0x00)
                {
                    try
                    {
                        var size = Snappy.GetUncompressedLength(data);
                        if (size > MaxChunkData)
                        {
                            throw Corrupt($"the chunk at byte {start} decompresses to {size} bytes, more than 65536");
                        }

                        produced = Snappy.Decompress(data, _output);
                    }
                    catch (InvalidDataException e)
                    {
                        throw new CompressedDataException($"The Snappy data is corrupt: the chunk at byte {start} is not valid Snappy ({e.Message}).", e);
                    }
                }
                else
                {
                    if (data.Length > MaxChunkData)
                    {
                        throw Corrupt($"the uncompressed chunk at byte {start} holds {data.Length} bytes, more than 65536");
                    }

                    data.CopyTo(_output);
                    produced = data.Length;
                }

                if (MaskedCrc32C(_output.AsSpan(0, produced)) != expected)
                {
                    throw Corrupt($"the chunk at byte {start} fails its CRC-32C");
                }

                SetOutput(_output, produced);

                return true;
            case >= 0x02 and <= 0x7F:
                throw Corrupt($"the chunk at byte {start} has reserved unskippable type 0x{type:X2}");
            default:
                return true; // skippable (0x80–0xFD) or padding (0xFE)
        }
    }

    /// <summary>CRC-32C of the data, masked as the framing format stores it.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8;
    }

    private static CompressedDataException Corrupt(string detail) => new($"The Snappy (framing format) data is corrupt or truncated: {detail}.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ArrayPool<byte>.Shared.Return(_chunk);
            ArrayPool<byte>.Shared.Return(_output);
        }

        base.Dispose(disposing);
    }
}
