using System.Buffers;
using System.Buffers.Binary;
using Snappier;

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
