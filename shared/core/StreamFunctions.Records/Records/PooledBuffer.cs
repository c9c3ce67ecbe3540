using System.Buffers;

namespace StreamFunctions.Records;

/// <summary>
/// A growable byte buffer on <see cref="ArrayPool{T}.Shared"/>: an <see cref="IBufferWriter{T}"/> whose
/// written bytes are read back as a span or memory without copying. <see cref="Dispose"/> returns the
/// array; memory handed out before then must not be used after.
/// </summary>
/// <remarks>
/// Arrays go back to the pool without clearing: the buffers hold record payloads that the caller already
/// had in memory, and clearing megabyte buffers on every return costs memory bandwidth on the hot path
/// (about 0.1 ms per MiB). Use <see cref="Clear(bool)"/> with <c>true</c> to wipe sensitive contents.
/// </remarks>
public sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    private const int MinimumSize = 256;
    private byte[] _array;
    private int _written;

    /// <summary>Creates a buffer with room for at least <paramref name="initialCapacity"/> bytes.</summary>
    public PooledBuffer(int initialCapacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, MinimumSize));
    }

    /// <summary>How many bytes have been written.</summary>
    public int WrittenCount => _written;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _written);

    /// <summary>The bytes written so far, valid until the next write that grows the buffer or <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    /// <summary>The room left before the buffer must grow.</summary>
    public int FreeCapacity => _array.Length - _written;

    /// <summary>Forgets what was written, keeping the array.</summary>
    /// <param name="wipe">Also zero the bytes written.</param>
    public void Clear(bool wipe = false)
    {
        if (wipe)
        {
            _array.AsSpan(0, _written).Clear();
        }

        _written = 0;
    }

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _written += bytes.Length;
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _array.Length - _written)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the span handed out.");
        }

        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_written);
    }

    /// <summary>Makes room for <paramref name="sizeHint"/> more bytes (at least one).</summary>
    public void Ensure(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var needed = Math.Max(sizeHint, 1);
        if (_array.Length - _written >= needed)
        {
            return;
        }

        var target = (long)_written + needed;
        var newSize = (int)Math.Min(Array.MaxLength, Math.Max(target, (long)_array.Length * 2));
        if (newSize < target)
        {
            throw new InsufficientMemoryException($"A pooled buffer cannot grow past {Array.MaxLength} bytes.");
        }

        var grown = ArrayPool<byte>.Shared.Rent(newSize);
        _array.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_array);
        _array = grown;
    }

    /// <summary>Hands the array and its length to the caller, who must return it to <see cref="ArrayPool{T}.Shared"/>; the buffer starts over empty.</summary>
    internal byte[] Detach(out int length)
    {
        var array = _array;
        length = _written;
        _array = ArrayPool<byte>.Shared.Rent(MinimumSize);
        _written = 0;
        return array;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var array = _array;
        _array = [];
        _written = 0;
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
