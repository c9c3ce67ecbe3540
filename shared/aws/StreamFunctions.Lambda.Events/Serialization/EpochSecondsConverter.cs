using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamFunctions.Lambda.Events.Serialization;

/// <summary>
/// Epoch seconds with a millisecond fraction (<c>1545084650.987</c>), as Kinesis events carry
/// <c>approximateArrivalTimestamp</c>. Written back with at most three decimals.
/// </summary>
public sealed class EpochSecondsConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(reader.GetDecimal() * 1000m))
            : throw new JsonException($"Expected epoch seconds (a number), found {reader.TokenType}.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteRawValue((value.ToUnixTimeMilliseconds() / 1000m).ToString("0.###", CultureInfo.InvariantCulture), skipInputValidation: true);
    }
}

/// <summary>ISO 8601 UTC with a <c>Z</c> (<c>2020-12-09T07:04:00Z</c>), as tumbling-window bounds are written.</summary>
public sealed class IsoUtcConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString() ?? throw new JsonException("Expected an ISO 8601 time, found null."), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var utc = value.ToUniversalTime();
        writer.WriteStringValue(utc.ToString(utc.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}
