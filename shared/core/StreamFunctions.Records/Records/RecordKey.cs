using System.Buffers;
using System.Text;

namespace StreamFunctions.Records;

/// <summary>
/// A partition key or explicit hash key, held either as a string (what producers have) or as UTF-8
/// bytes sliced from a decoded record (what de-aggregation yields without allocating). The string form
/// of a UTF-8 key is made only when asked for.
/// </summary>
/// <remarks>
/// <c>default</c> is "no key" (<see cref="HasValue"/> false), which differs from the empty key. Equality
/// compares content, so a string key equals the UTF-8 key with the same characters.
/// </remarks>
public readonly struct RecordKey : IEquatable<RecordKey>
{
    private readonly string? _text;
    private readonly ReadOnlyMemory<byte> _utf8;

    private RecordKey(string? text, ReadOnlyMemory<byte> utf8)
    {
        _text = text;
        _utf8 = utf8;
    }

    /// <summary>No key.</summary>
    public static RecordKey None => default;

    /// <summary>A key given as a string; <see langword="null"/> gives <see cref="None"/>.</summary>
    public static RecordKey FromString(string? value) => new(value, default);

    /// <summary>A key given as UTF-8 bytes, which are referenced, not copied.</summary>
    public static RecordKey FromUtf8(ReadOnlyMemory<byte> utf8) =>
        utf8.IsEmpty ? new RecordKey(string.Empty, default) : new RecordKey(null, utf8);

    /// <summary>Same as <see cref="FromString"/>.</summary>
    public static implicit operator RecordKey(string? value) => FromString(value);

    /// <summary>Whether there is a key (the empty key counts as one).</summary>
    public bool HasValue => _text is not null || !_utf8.IsEmpty;

    /// <summary>Whether the key is absent or has no characters.</summary>
    public bool IsEmpty => _utf8.IsEmpty && string.IsNullOrEmpty(_text);

    /// <summary>Whether the key is held as UTF-8 bytes (<see cref="Utf8"/> is then free to read).</summary>
    public bool IsUtf8 => _text is null && !_utf8.IsEmpty;

    /// <summary>The UTF-8 bytes of a key held as bytes; empty for a key held as a string.</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8;

    /// <summary>The length of the key in characters (UTF-16 code units), as Kinesis limits it.</summary>
    public int Length => _text?.Length ?? Encoding.UTF8.GetCharCount(_utf8.Span);

    /// <summary>The key's UTF-8 length in bytes, the size Kinesis counts against the record limit.</summary>
    public int Utf8ByteCount => _text is null ? _utf8.Length : Encoding.UTF8.GetByteCount(_text);

    /// <summary>Writes the key's UTF-8 bytes; returns how many were written.</summary>
    /// <param name="destination">At least <see cref="Utf8ByteCount"/> bytes.</param>
    public int CopyUtf8To(Span<byte> destination)
    {
        if (_text is not null)
        {
            return Encoding.UTF8.GetBytes(_text, destination);
        }

        _utf8.Span.CopyTo(destination);
        return _utf8.Length;
    }

    /// <summary>The key as a string, or <see langword="null"/> for <see cref="None"/>. A key held as UTF-8 is decoded (and allocates) on every call.</summary>
    public string? AsString() => _text ?? (_utf8.IsEmpty ? null : Encoding.UTF8.GetString(_utf8.Span));

    /// <summary>The key as a string; empty for <see cref="None"/>.</summary>
    public override string ToString() => AsString() ?? string.Empty;

    /// <inheritdoc />
    public bool Equals(RecordKey other)
    {
        if (HasValue != other.HasValue)
        {
            return false;
        }

        if (_text is not null && other._text is not null)
        {
            return string.Equals(_text, other._text, StringComparison.Ordinal);
        }

        if (_text is null && other._text is null)
        {
            return _utf8.Span.SequenceEqual(other._utf8.Span);
        }

        var (text, utf8) = _text is not null ? (_text, other._utf8) : (other._text!, _utf8);
        return Utf8EqualsString(utf8.Span, text);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RecordKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        // Hash the UTF-8 form so that both representations of one key hash alike.
        if (_text is null)
        {
            return HashUtf8(_utf8.Span);
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(_text.Length));
        try
        {
            return HashUtf8(rented.AsSpan(0, Encoding.UTF8.GetBytes(_text, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Content equality.</summary>
    public static bool operator ==(RecordKey left, RecordKey right) => left.Equals(right);

    /// <summary>Content inequality.</summary>
    public static bool operator !=(RecordKey left, RecordKey right) => !left.Equals(right);

    private static int HashUtf8(ReadOnlySpan<byte> utf8)
    {
        var hash = default(HashCode);
        hash.AddBytes(utf8);
        return hash.ToHashCode();
    }

    private static bool Utf8EqualsString(ReadOnlySpan<byte> utf8, string text)
    {
        if (Encoding.UTF8.GetByteCount(text) != utf8.Length)
        {
            return false;
        }

        var rented = ArrayPool<byte>.Shared.Rent(utf8.Length);
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            return rented.AsSpan(0, written).SequenceEqual(utf8);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
