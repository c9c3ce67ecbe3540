using System.Buffers.Binary;
using StreamFunctions.Formats.Exceptions;
using ZstdSharp;

namespace StreamFunctions.Formats.Compression.Internal;

/// <summary>
/// Turns a codec's own errors into <see cref="CompressedDataException"/> naming the codec and how far it
/// got. For GZIP it also checks the trailer (CRC-32 and length of what was read) against the last 8 bytes
/// of the input, because .NET's GZipStream ends a truncated stream silently.
/// </summary>
internal sealed class CheckedDecompressionStream(Stream inner, CompressionCodec codec, TailTrackingStream? gzipSource = null) : ReadOnlyStreamBase
{
    private long _produced;
    private uint _crc;
    private bool _ended;

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = inner.Read(buffer);
        }
        catch (Exception e) when (e is InvalidDataException or ZstdException or EndOfStreamException)
        {
            throw new CompressedDataException($"The {codec} data is corrupt or truncated (after {_produced} bytes of output): {e.Message}", e);
        }

        if (gzipSource is not null)
        {
            if (read > 0)
            {
                _crc = Crc32.Append(_crc, buffer[..read]);
            }
            else if (buffer.Length > 0 && !_ended)
            {
                _ended = true;
                CheckGzipTrailer();
            }
        }

        _produced += read;
        return read;
    }

    private void CheckGzipTrailer()
    {
        var tail = gzipSource!.Tail;
        if (tail.Length < 8
            || BinaryPrimitives.ReadUInt32LittleEndian(tail) != _crc
            || BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]) != (uint)_produced)
        {
            throw new CompressedDataException(
                $"The GZIP data is truncated or corrupt: its trailer does not match the {_produced} bytes it decompressed to (a file of several concatenated GZIP members is not read either).");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
