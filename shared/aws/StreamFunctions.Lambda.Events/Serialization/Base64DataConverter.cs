using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamFunctions.Lambda.Events.Serialization;

/// <summary>
/// A base64 field of a Lambda event (read with <see cref="Base64Data"/>: non-zero padding bits accepted, anything
/// else refused saying why); written in the standard, canonical form.
/// </summary>
public sealed class Base64DataConverter : JsonConverter<byte[]>
{
    /// <inheritdoc />
    public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"a base64 string is expected, not {reader.TokenType}");
        }

        ReadOnlySpan<byte> text = reader.HasValueSequence || reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        return Base64Data.TryDecode(text, bytes, out var written, out var error)
            ? written == bytes.Length ? bytes : bytes[..written]
            : throw new JsonException($"{Base64Data.Quote(Encoding.UTF8.GetString(text))} is not valid base64: {error}");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteBase64StringValue(value);
    }
}
