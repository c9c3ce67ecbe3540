using System.Buffers.Binary;
using System.Text.Json;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Formats.Objects;
using StreamFunctions.Records;

namespace StreamFunctions.Sink;

/// <summary>
/// The sink's Parquet conversion (Firehose's record format conversion): a data partition's records are staged as
/// length-prefixed JSON objects (a little-endian 4-byte length, then the record) and become one Parquet file at delivery.
/// </summary>
internal static class ParquetRows
{
    /// <summary>Appends one record, length-prefixed.</summary>
    /// <param name="buffer">The partition's buffer.</param>
    /// <param name="data">The record.</param>
    public static void Append(PooledBuffer buffer, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), data.Length);
        buffer.Advance(4);
        buffer.Write(data);
    }

    /// <summary>
    /// Why a record cannot be a Parquet row, or null: it must be one JSON object, and its names and strings must have
    /// text (an escaped lone surrogate has none). Rows are read at delivery, where this would fail the whole shard's.
    /// </summary>
    /// <param name="data">The record.</param>
    /// <returns>The reason, or null.</returns>
    public static string? NotARow(ReadOnlySpan<byte> data)
    {
        const string NotAnObject = "The record is not one JSON object: Parquet takes one object per row.";
        try
        {
            var reader = new Utf8JsonReader(data, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return NotAnObject;
            }

            while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0))
            {
                if (reader.ValueIsEscaped && reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    _ = reader.GetString();
                }
            }

            return reader.Read() ? NotAnObject : null;
        }
        catch (JsonException)
        {
            return NotAnObject;
        }
        catch (InvalidOperationException)
        {
            return "The record holds a string that is not valid Unicode (an escaped lone surrogate): Parquet strings are text.";
        }
    }

    /// <summary>The records of a partition's staged bytes, in order.</summary>
    /// <param name="framed">The length-prefixed records.</param>
    /// <returns>Each record.</returns>
    public static IEnumerable<ReadOnlyMemory<byte>> Records(byte[] framed)
    {
        var at = 0;
        while (at < framed.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(framed.AsSpan(at));
            yield return framed.AsMemory(at + 4, length);
            at += 4 + length;
        }
    }

    /// <summary>Converts a partition's staged records to one Parquet file.</summary>
    /// <param name="framed">The length-prefixed records.</param>
    /// <param name="options">The Parquet settings.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The file.</returns>
    /// <exception cref="ObjectWriterException">The records cannot share one file's columns.</exception>
    public static async Task<byte[]> ToFileAsync(byte[] framed, ParquetObjectOptions options, CancellationToken cancellationToken)
    {
        using var file = new MemoryStream();
        var writer = new ParquetObjectWriter(file, options);
        await using (writer.ConfigureAwait(false))
        {
            foreach (var record in Records(framed))
            {
                await writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
            }

            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        return file.ToArray();
    }
}
