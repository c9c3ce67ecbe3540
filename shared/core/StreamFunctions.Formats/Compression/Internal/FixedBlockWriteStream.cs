using System.Buffers;

namespace StreamFunctions.Formats.Compression.Internal;

/// <summary>
/// Feeds a compressor fixed-size blocks whatever the caller's write sizes, so the compressed bytes depend on
/// the input bytes only: .NET's GZIP (zlib-ng) output differs with the write pattern. Also makes an empty
/// GZIP object a valid empty member rather than zero bytes.
/// </summary>
internal sealed class FixedBlockWriteStream : WriteOnlyStreamBase
{
    private const int BlockSize = 64 * 1024;

    // Header (no name, no time, OS unix), an empty final fixed-Huffman block, CRC-32 0 and length 0.
    private static readonly byte[] _emptyGzip = [0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    private readonly Stream _compressor;
    private readonly Stream _destination;
    private readonly bool _gzip;
    private byte[] _block = ArrayPool<byte>.Shared.Rent(BlockSize);
    private int _buffered;
    private long _total;

    public FixedBlockWriteStream(Stream compressor, Stream destination, bool gzip)
    {
        _compressor = compressor;
        _destination = destination;
        _gzip = gzip;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_block.Length == 0, this);
        _total += buffer.Length;
        while (!buffer.IsEmpty)
        {
            if (_buffered == 0 && buffer.Length >= BlockSize)
            {
                _compressor.Write(buffer[..BlockSize]);
                buffer = buffer[BlockSize..];
                continue;
            }

            var take = Math.Min(BlockSize - _buffered, buffer.Length);
            buffer[..take].CopyTo(_block.AsSpan(_buffered));
            _buffered += take;
            buffer = buffer[take..];
            if (_buffered == BlockSize)
            {
                _compressor.Write(_block, 0, BlockSize);
                _buffered = 0;
            }
        }
    }

    /// <summary>Passes on what is buffered and flushes the compressor (which may end a block early: the output then depends on when Flush is called).</summary>
    public override void Flush()
    {
        WriteBuffered();
        _compressor.Flush();
    }

    private void WriteBuffered()
    {
        if (_buffered > 0)
        {
            _compressor.Write(_block, 0, _buffered);
            _buffered = 0;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _block.Length > 0)
        {
            try
            {
                WriteBuffered();
                if (_gzip && _total == 0)
                {
                    _destination.Write(_emptyGzip);
                }

                _compressor.Dispose();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(_block);
                _block = [];
            }
        }

        base.Dispose(disposing);
    }
}
