using System.Buffers;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Formats.Objects;

/// <summary>
/// A write-only stream that cuts what is written into S3 multipart-upload parts of exactly
/// <see cref="MultipartOptions.PartSize"/> bytes (the last may be shorter) and hands them out in order:
/// take completed parts with <see cref="TryTakePart"/> as they come (uploading them while writing goes on),
/// then <see cref="Complete"/> for the last one. Object writers and compressors write into it.
/// </summary>
/// <remarks>Parts are pooled buffers held until taken; take them as you go to keep memory to a few parts.</remarks>
public sealed class MultipartStream : Stream
{
    private readonly int _partSize;
    private readonly Queue<ObjectPart> _completed = new();
    private byte[]? _current;
    private int _filled;
    private int _partNumber;
    private long _written;
    private bool _complete;

    /// <summary>Creates the stream.</summary>
    /// <param name="options">The part size; validated.</param>
    /// <exception cref="StorageOptionsException">The part size is out of range.</exception>
    public MultipartStream(MultipartOptions? options = null)
    {
        _partSize = (options ?? new MultipartOptions()).Validate().PartSize;
    }

    /// <summary>How many parts are completed and not yet taken.</summary>
    public int CompletedPartCount => _completed.Count;

    /// <summary>The bytes written so far.</summary>
    public long BytesWritten => _written;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => !_complete;

    /// <summary>The bytes written so far.</summary>
    public override long Length => _written;

    /// <summary>The bytes written so far (setting it is not supported).</summary>
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    /// <summary>Takes the oldest completed part; false when none is ready.</summary>
    public bool TryTakePart(out ObjectPart part) => _completed.TryDequeue(out part!);

    /// <summary>
    /// Ends the object: the bytes not yet in a part become the last part (an empty object is one empty
    /// part), queued for <see cref="TryTakePart"/>. Nothing can be written after.
    /// </summary>
    /// <returns>The total number of parts of the object.</returns>
    public int Complete()
    {
        if (!_complete)
        {
            if (_filled > 0 || _partNumber == 0)
            {
                CompletePart(isLast: true);
            }
            else if (_completed.Count > 0)
            {
                // The object ended exactly on a part boundary: the part already queued is the last.
                var parts = _completed.ToArray();
                _completed.Clear();
                for (var i = 0; i < parts.Length; i++)
                {
                    var p = parts[i];
                    _completed.Enqueue(i == parts.Length - 1 ? Relabel(p) : p);
                }
            }

            _complete = true;
        }

        return _partNumber;
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_complete)
        {
            throw new InvalidOperationException("The object is complete; nothing more can be written.");
        }

        while (!buffer.IsEmpty)
        {
            if (_current is null)
            {
                if (_partNumber == MultipartOptions.MaxParts)
                {
                    throw new ObjectWriterException($"The object outgrows S3's {MultipartOptions.MaxParts} parts of {_partSize} bytes ({_written} bytes written): use larger parts.");
                }

                _current = ArrayPool<byte>.Shared.Rent(_partSize);
                _filled = 0;
            }

            var take = Math.Min(buffer.Length, _partSize - _filled);
            buffer[..take].CopyTo(_current.AsSpan(_filled));
            _filled += take;
            _written += take;
            buffer = buffer[take..];
            if (_filled == _partSize)
            {
                CompletePart(isLast: false);
            }
        }
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <summary>Does nothing: parts are cut by size only, so the output does not depend on flushes.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    private void CompletePart(bool isLast)
    {
        var buffer = _current ?? ArrayPool<byte>.Shared.Rent(1);
        _partNumber++;
        _completed.Enqueue(new ObjectPart(_partNumber, buffer, _filled, (long)(_partNumber - 1) * _partSize, isLast));
        _current = null;
        _filled = 0;
    }

    private static ObjectPart Relabel(ObjectPart part) => part.AsLast();

    /// <summary>Returns the parts not taken and the part being filled to the pool.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            while (_completed.TryDequeue(out var part))
            {
                part.Dispose();
            }

            if (_current is not null)
            {
                ArrayPool<byte>.Shared.Return(_current);
                _current = null;
            }

            _complete = true;
        }

        base.Dispose(disposing);
    }
}
