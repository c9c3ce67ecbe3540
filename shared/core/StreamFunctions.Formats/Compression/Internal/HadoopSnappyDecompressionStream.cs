using System.Buffers;
using System.Buffers.Binary;
using Snappier;
using StreamFunctions.Formats.Exceptions;

namespace StreamFunctions.Formats.Compression.Internal;

/// <summary>
/// Reads Hadoop's block framing of raw Snappy, including blocks of several chunks (what Hadoop writes for a
/// large single write). A block or chunk cut short, a length out of range, or chunks that do not add up to
/// their block's length raise <see cref="CompressedDataException"/>.
/// </summary>
internal sealed class HadoopSnappyDecompressionStream(Stream source, bool leaveOpen) : BlockDecompressionStream(source, leaveOpen)
{
    // Hadoop's codec buffer is 256 KiB by default and configurable; no sane writer makes a block over 1 GiB.
    private const int MaxBlock = 1 << 30;
    private byte[] _block = [];
    private byte[] _chunk = [];

    protected override bool ReadBlock()
    {
        Span<byte> header = stackalloc byte[4];
        var blockStart = Offset;
        var got = ReadFully(header);
        if (got == 0)
        {
            return false;
        }

        if (got < 4)
        {
            throw Truncated($"the block length at byte {blockStart} is cut short");
        }

        var raw = BinaryPrimitives.ReadInt32BigEndian(header);
        if (raw is < 0 or > MaxBlock)
        {
            throw new CompressedDataException($"The HadoopSnappy data is corrupt: the block at byte {blockStart} claims {raw} bytes.");
        }

        Rent(ref _block, raw);
        var produced = 0;
        while (produced < raw)
        {
            var chunkStart = Offset;
            if (ReadFully(header) < 4)
            {
                throw Truncated($"block at byte {blockStart} has {produced} of its {raw} bytes and then ends");
            }

            var compressed = BinaryPrimitives.ReadInt32BigEndian(header);
            if (compressed is <= 0 or > MaxBlock)
            {
                throw new CompressedDataException($"The HadoopSnappy data is corrupt: the chunk at byte {chunkStart} claims {compressed} compressed bytes.");
            }

            Rent(ref _chunk, compressed);
            if (ReadFully(_chunk.AsSpan(0, compressed)) < compressed)
            {
                throw Truncated($"the chunk at byte {chunkStart} is cut short");
            }

            try
            {
                var length = Snappy.GetUncompressedLength(_chunk.AsSpan(0, compressed));
                if (length > raw - produced)
                {
                    throw new CompressedDataException($"The HadoopSnappy data is corrupt: the chunk at byte {chunkStart} holds {length} bytes, more than the {raw - produced} its block has left.");
                }

                produced += Snappy.Decompress(_chunk.AsSpan(0, compressed), _block.AsSpan(produced, length));
            }
            catch (InvalidDataException e)
            {
                throw new CompressedDataException($"The HadoopSnappy data is corrupt: the chunk at byte {chunkStart} is not valid Snappy ({e.Message}).", e);
            }
        }

        SetOutput(_block, raw);
        return true;
    }

    private static void Rent(ref byte[] buffer, int size)
    {
        if (buffer.Length < size)
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            buffer = ArrayPool<byte>.Shared.Rent(size);
        }
    }

    private static CompressedDataException Truncated(string detail) => new($"The HadoopSnappy data is truncated: {detail}.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_block.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_block);
            }

            if (_chunk.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
            }

            _block = _chunk = [];
        }

        base.Dispose(disposing);
    }
}
