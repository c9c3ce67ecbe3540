namespace StreamFunctions.Formats.Compression.Internal;

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
