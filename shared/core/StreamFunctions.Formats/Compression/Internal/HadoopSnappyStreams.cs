using System.Buffers;
using System.Buffers.Binary;
using Snappier;
using StreamFunctions.Formats.Exceptions;

namespace StreamFunctions.Formats.Compression.Internal;

/// <summary>
/// Writes Hadoop's block framing of raw Snappy (<c>BlockCompressorStream</c> with <c>SnappyCodec</c>): each
/// block is a 4-byte big-endian input length, then a 4-byte big-endian compressed length and the raw Snappy
/// bytes. A block holds at most <c>bufferSize − (bufferSize / 6 + 32)</c> input bytes, Hadoop's own bound, so
/// its compressed form fits Hadoop's decompression buffer.
/// </summary>
internal sealed class HadoopSnappyCompressionStream : WriteOnlyStreamBase
{
    private readonly Stream _destination;
    private readonly bool _leaveOpen;
    private readonly byte[] _input;
    private readonly byte[] _output;
    private readonly int _maxInput;
    private int _buffered;
    private bool _disposed;

    public HadoopSnappyCompressionStream(Stream destination, int bufferSize, bool leaveOpen)
    {
        _destination = destination;
        _leaveOpen = leaveOpen;
        _maxInput = bufferSize - ((bufferSize / 6) + 32);
        _input = ArrayPool<byte>.Shared.Rent(_maxInput);
        _output = ArrayPool<byte>.Shared.Rent(8 + Snappy.GetMaxCompressedLength(_maxInput));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _maxInput - _buffered);
            buffer[..take].CopyTo(_input.AsSpan(_buffered));
            _buffered += take;
            buffer = buffer[take..];
            if (_buffered == _maxInput)
            {
                WriteBlock();
            }
        }
    }

    /// <summary>Ends the current block (so the bytes so far can be read back) and flushes the destination.</summary>
    public override void Flush()
    {
        WriteBlock();
        _destination.Flush();
    }

    private void WriteBlock()
    {
        if (_buffered == 0)
        {
            return;
        }

        var compressed = Snappy.Compress(_input.AsSpan(0, _buffered), _output.AsSpan(8));
        BinaryPrimitives.WriteInt32BigEndian(_output, _buffered);
        BinaryPrimitives.WriteInt32BigEndian(_output.AsSpan(4), compressed);
        _destination.Write(_output, 0, 8 + compressed);
        _buffered = 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            try
            {
                WriteBlock();
                _destination.Flush();
            }
            finally
            {
                _disposed = true;
                ArrayPool<byte>.Shared.Return(_input);
                ArrayPool<byte>.Shared.Return(_output);
                if (!_leaveOpen)
                {
                    _destination.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Reads Hadoop's block framing of raw Snappy, including blocks of several chunks (what Hadoop writes for a
/// large single write). A block or chunk cut short, a length out of range, or chunks that do not add up to
/// their block's length raise <see cref="CompressedDataException"/>.
/// </summary>
internal sealed class HadoopSnappyDecompressionStream(Stream source, bool leaveOpen) : ReadOnlyStreamBase
{
    // Hadoop's codec buffer is 256 KiB by default and configurable; no sane writer makes a block over 1 GiB.
    private const int MaxBlock = 1 << 30;
    private byte[] _block = [];
    private byte[] _chunk = [];
    private int _blockLength;
    private int _position;
    private long _offset;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_position == _blockLength)
        {
            if (!ReadBlock())
            {
                return 0;
            }
        }

        var take = Math.Min(buffer.Length, _blockLength - _position);
        _block.AsSpan(_position, take).CopyTo(buffer);
        _position += take;
        return take;
    }

    private bool ReadBlock()
    {
        Span<byte> header = stackalloc byte[4];
        var blockStart = _offset;
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
            var chunkStart = _offset;
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

        _blockLength = raw;
        _position = 0;
        return true;
    }

    private int ReadFully(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = source.Read(buffer[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        _offset += total;
        return total;
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
            if (!leaveOpen)
            {
                source.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
