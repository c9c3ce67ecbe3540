namespace StreamFunctions.Formats.Compression.Internal;

/// <summary>
/// A decompressing read stream over a format of self-contained blocks (Snappy's framing format, Hadoop's Snappy
/// blocks): <see cref="ReadBlock"/> decodes the next block into a buffer of the derived class, and reads are served
/// from it until it is used up.
/// </summary>
/// <param name="source">The compressed bytes.</param>
/// <param name="leaveOpen">Whether disposing leaves <paramref name="source"/> open.</param>
internal abstract class BlockDecompressionStream(Stream source, bool leaveOpen) : ReadOnlyStreamBase
{
    private byte[] _output = [];
    private int _outputLength;
    private int _position;

    /// <summary>How many bytes have been read from the source: where the next block starts.</summary>
    protected long Offset { get; private set; }

    public sealed override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_position == _outputLength)
        {
            if (!ReadBlock())
            {
                return 0;
            }
        }

        var take = Math.Min(buffer.Length, _outputLength - _position);
        _output.AsSpan(_position, take).CopyTo(buffer);
        _position += take;
        return take;
    }

    /// <summary>
    /// Decodes the next block and hands its bytes over with <see cref="SetOutput"/> (a block with no data, such as
    /// a stream identifier, hands over none); false at the clean end of the source.
    /// </summary>
    protected abstract bool ReadBlock();

    /// <summary>Reads are served from <c>buffer[..length]</c> until it is used up.</summary>
    protected void SetOutput(byte[] buffer, int length)
    {
        _output = buffer;
        _outputLength = length;
        _position = 0;
    }

    /// <summary>Reads from the source until <paramref name="buffer"/> is full or the source ends; how many bytes were read.</summary>
    protected int ReadFully(Span<byte> buffer)
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

        Offset += total;
        return total;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _output = [];
            _outputLength = _position = 0;
            if (!leaveOpen)
            {
                source.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
