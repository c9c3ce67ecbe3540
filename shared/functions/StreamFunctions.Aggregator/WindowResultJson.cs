using System.Buffers;
using System.Text.Json;
using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator;

/// <summary>
/// A result as one JSON object: <c>resultKey</c>, <c>aggregation</c>, <c>groupKey</c>, <c>windowStart</c>, <c>windowEnd</c>
/// (Unix ms; a count window's number), <c>count</c>, <c>isUpdate</c>, <c>batch</c> (the batch that emitted it: a later
/// batch of the shard sorts after), then one member per aggregate value (a number or null; top-k a list of
/// <c>{item, count, error}</c>).
/// </summary>
public static class WindowResultJson
{
    /// <summary>Writes the result.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="batchId">The emitting batch.</param>
    /// <param name="result">The result.</param>
    public static void Write(Utf8JsonWriter writer, string batchId, WindowResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        writer.WriteStartObject();
        writer.WriteString("resultKey", result.ResultKey);
        writer.WriteString("aggregation", result.Aggregation);
        writer.WriteString("groupKey", result.Key);
        writer.WriteNumber("windowStart", result.Window.Start);
        writer.WriteNumber("windowEnd", result.Window.End);
        writer.WriteNumber("count", result.Count);
        writer.WriteBoolean("isUpdate", result.IsUpdate);
        writer.WriteString("batch", batchId);
        foreach (var value in result.Values)
        {
            if (value.Top is { } top)
            {
                writer.WriteStartArray(value.Name);
                foreach (var hitter in top)
                {
                    writer.WriteStartObject();
                    writer.WriteString("item", hitter.Item);
                    writer.WriteNumber("count", hitter.Count);
                    writer.WriteNumber("error", hitter.Error);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }
            else if (value.Value is { } number && double.IsFinite(number))
            {
                writer.WriteNumber(value.Name, number);
            }
            else
            {
                writer.WriteNull(value.Name);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>The result as UTF-8 JSON.</summary>
    /// <param name="batchId">The emitting batch.</param>
    /// <param name="result">The result.</param>
    /// <returns>The bytes.</returns>
    public static byte[] ToUtf8(string batchId, WindowResult result)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, batchId, result);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
