using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Json;

/// <summary>
/// Reads one well-formed JSON value given as its raw UTF-8 (as a record holds it: a string with its quotes),
/// with the semantics of <see cref="JsonElement"/>: strings compare after unescaping, numbers as doubles.
/// </summary>
public static class RawJson
{
    /// <summary>The value's kind, from its first byte.</summary>
    /// <param name="value">The raw value.</param>
    /// <returns>The kind; <see cref="JsonValueKind.Undefined"/> for no value.</returns>
    public static JsonValueKind Kind(ReadOnlySpan<byte> value) => value.IsEmpty ? JsonValueKind.Undefined : value[0] switch
    {
        (byte)'"' => JsonValueKind.String,
        (byte)'{' => JsonValueKind.Object,
        (byte)'[' => JsonValueKind.Array,
        (byte)'t' => JsonValueKind.True,
        (byte)'f' => JsonValueKind.False,
        (byte)'n' => JsonValueKind.Null,
        _ => JsonValueKind.Number,
    };

    /// <summary>Whether a string value's text equals <paramref name="utf8"/>.</summary>
    /// <param name="value">A raw string value.</param>
    /// <param name="utf8">The text, UTF-8.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool StringEquals(ReadOnlySpan<byte> value, ReadOnlySpan<byte> utf8)
    {
        var content = value[1..^1];
        if (content.IndexOf((byte)'\\') < 0)
        {
            return content.SequenceEqual(utf8);
        }

        var reader = Reader(value);
        return reader.ValueTextEquals(utf8);
    }

    /// <summary>
    /// A string value's text; false when it has none: JSON may escape a lone surrogate (<c>"\ud800"</c>), which no
    /// UTF-16 or UTF-8 text holds (<see cref="Utf8JsonReader.GetString"/> throws on it). A record is outside input:
    /// such a string must fail only the record, never the batch it came in.
    /// </summary>
    /// <param name="value">A raw string value.</param>
    /// <param name="text">The unescaped text.</param>
    /// <returns>Whether the string has text.</returns>
    public static bool TryGetString(ReadOnlySpan<byte> value, [NotNullWhen(true)] out string? text)
    {
        var content = value[1..^1];
        if (content.IndexOf((byte)'\\') < 0)
        {
            text = Encoding.UTF8.GetString(content);
            return true;
        }

        var reader = Reader(value);
        try
        {
            text = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    /// <summary>A number value as a double.</summary>
    /// <param name="value">A raw number value.</param>
    /// <param name="number">The number.</param>
    /// <returns>False when it does not fit a double.</returns>
    public static bool TryGetDouble(ReadOnlySpan<byte> value, out double number)
    {
        var reader = Reader(value);
        return reader.TryGetDouble(out number);
    }

    /// <summary>A scalar as text for keys: a string's text, a number or boolean as written; null for anything else.</summary>
    /// <param name="value">A raw value.</param>
    /// <returns>The text, or null when the value is null, an object, an array or a string without text (<see cref="TryGetString"/>).</returns>
    public static string? ScalarText(ReadOnlySpan<byte> value) => Kind(value) switch
    {
        JsonValueKind.String => TryGetString(value, out var text) ? text : null,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => Encoding.UTF8.GetString(value),
        _ => null,
    };

    private static Utf8JsonReader Reader(ReadOnlySpan<byte> value)
    {
        var reader = new Utf8JsonReader(value);
        reader.Read();
        return reader;
    }
}
