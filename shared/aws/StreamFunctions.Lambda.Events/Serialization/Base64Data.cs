using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace StreamFunctions.Lambda.Events.Serialization;

/// <summary>
/// Decodes the base64 fields of Lambda events (Kinesis <c>data</c>, Kafka <c>key</c> and <c>value</c>, Firehose
/// <c>data</c>). The standard alphabet and <c>=</c> padding are required, as RFC 4648 section 4 writes them, but the
/// unused low bits of the last character before the padding may be non-zero: RFC 4648 section 3.5 lets decoders
/// accept such "non-canonical" encodings, and the decoders on Lambda's side do (Java's <c>Base64.getDecoder()</c>,
/// Python's <c>base64.b64decode</c>): the AWS Lambda developer guide's own MSK example event has a key
/// (<c>abcDEFghiJKLmnoPQRstuVWXyz1234==</c>) that .NET's strict decoder refuses. Such input decodes as if those bits
/// were zero. Anything else (another character, white space, misplaced padding, a length that is not a multiple of
/// four) is refused with the reason and the character's position.
/// </summary>
public static class Base64Data
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>Decodes <paramref name="base64"/> into <paramref name="destination"/> (at least 3/4 of its length).</summary>
    /// <param name="base64">The UTF-8 text.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="written">How many bytes were written.</param>
    /// <param name="error">Why the text is not base64, when it is not.</param>
    /// <returns>Whether the text was base64.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> base64, Span<byte> destination, out int written, out string? error)
    {
        var status = Base64.DecodeFromUtf8(base64, destination, out var consumed, out written);
        if (status == OperationStatus.Done && consumed == base64.Length)
        {
            error = null;
            return true;
        }

        if (status == OperationStatus.DestinationTooSmall)
        {
            throw new ArgumentException("The destination is smaller than 3/4 of the text.", nameof(destination));
        }

        error = Problem(base64);
        if (error is not null)
        {
            written = 0;
            return false;
        }

        // Well formed, and refused only for non-zero padding bits: decode with those bits cleared.
        var padding = base64[^1] != '=' ? 0 : base64[^2] == '=' ? 2 : 1;
        var last = base64.Length - padding - 1;
        var value = Alphabet.IndexOf((char)base64[last], StringComparison.Ordinal);
        var cleared = Alphabet[value & (padding == 2 ? 0b110000 : 0b111100)];
        var copy = ArrayPool<byte>.Shared.Rent(base64.Length);
        try
        {
            base64.CopyTo(copy);
            copy[last] = (byte)cleared;
            status = Base64.DecodeFromUtf8(copy.AsSpan(0, base64.Length), destination, out consumed, out written);
            error = status == OperationStatus.Done ? null : $"{status} at character {consumed}";
            return error is null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Decodes <paramref name="base64"/>.</summary>
    /// <param name="base64">The text.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="FormatException">The text is not base64; the message says why and where.</exception>
    public static byte[] Decode(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        var utf8 = Encoding.UTF8.GetBytes(base64);
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(utf8.Length)];
        return TryDecode(utf8, bytes, out var written, out var error)
            ? written == bytes.Length ? bytes : bytes[..written]
            : throw new FormatException($"{Quote(base64)} is not valid base64: {error}.");
    }

    /// <summary>The start of a text for an error message: at most 24 characters.</summary>
    /// <param name="text">The text.</param>
    /// <returns>It quoted, cut with an ellipsis when longer.</returns>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= 24 ? $"'{text}'" : $"'{text[..24]}…' ({text.Length} characters)";
    }

    // Why well-formed base64 it is not, or null when only the padding bits can be wrong.
    private static string? Problem(ReadOnlySpan<byte> base64)
    {
        if (base64.Length % 4 != 0)
        {
            return $"its length, {base64.Length}, is not a multiple of 4";
        }

        var padding = base64.Length > 0 && base64[^1] == '=' ? base64[^2] == '=' ? 2 : 1 : 0;
        for (var i = 0; i < base64.Length - padding; i++)
        {
            if (Alphabet.IndexOf((char)base64[i], StringComparison.Ordinal) < 0)
            {
                return base64[i] == '='
                    ? $"padding '=' at character {i} is not at the end"
                    : $"character {i} ({Describe(base64[i])}) is not in the base64 alphabet";
            }
        }

        return null;
    }

    private static string Describe(byte b) => b is >= 0x21 and < 0x7F ? $"'{(char)b}'" : $"0x{b:X2}";
}
