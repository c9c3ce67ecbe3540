using System.Buffers;

namespace StreamFunctions.Formats.Objects;

/// <summary>
/// One completed part of an object, ready for S3 UploadPart: <see cref="PartNumber"/> counts from 1, and
/// every part but the last is exactly <see cref="MultipartOptions.PartSize"/> bytes. The bytes live in a
/// pooled buffer: <see cref="Dispose"/> once uploaded.
/// </summary>
public sealed class ObjectPart : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal ObjectPart(int partNumber, byte[] buffer, int length, long offset, bool isLast)
    {
        PartNumber = partNumber;
        _buffer = buffer;
        _length = length;
        Offset = offset;
        IsLast = isLast;
    }

    /// <summary>The S3 part number, 1–10,000.</summary>
    public int PartNumber { get; }

    /// <summary>Where the part starts in the object.</summary>
    public long Offset { get; }

    /// <summary>Whether this is the object's last part (the only one that may be under 5 MiB).</summary>
    public bool IsLast { get; }

    /// <summary>The part's bytes.</summary>
    public ReadOnlyMemory<byte> Data => _buffer is null ? throw new ObjectDisposedException(nameof(ObjectPart)) : _buffer.AsMemory(0, _length);

    /// <summary>The same part marked as the last, taking over its buffer.</summary>
    internal ObjectPart AsLast()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null) ?? throw new ObjectDisposedException(nameof(ObjectPart));
        return new ObjectPart(PartNumber, buffer, _length, Offset, isLast: true);
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
