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

/// <summary>Reads through, remembering the last 8 bytes read (a GZIP trailer once the source ends).</summary>
internal sealed class TailTrackingStream(Stream source, bool leaveOpen) : ReadOnlyStreamBase
{
    private readonly byte[] _tail = new byte[8];
    private int _tailLength;

    public ReadOnlySpan<byte> Tail => _tail.AsSpan(0, _tailLength);

    public override int Read(Span<byte> buffer)
    {
        var read = source.Read(buffer);
        if (read >= 8)
        {
            buffer.Slice(read - 8, 8).CopyTo(_tail);
            _tailLength = 8;
        }
        else if (read > 0)
        {
            var keep = Math.Min(_tailLength, 8 - read);
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
            buffer[..read].CopyTo(_tail.AsSpan(keep));
            _tailLength = keep + read;
        }

        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            source.Dispose();
        }

        base.Dispose(disposing);
    }
}
