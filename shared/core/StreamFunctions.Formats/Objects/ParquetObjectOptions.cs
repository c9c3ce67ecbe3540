using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Formats.Objects;

/// <summary>The type of a Parquet column made from a JSON field.</summary>
public enum ParquetColumnType
{
    /// <summary>UTF-8 text; a JSON object or array is kept as its JSON text, a number or boolean as its literal.</summary>
    Text,

    /// <summary>A 64-bit integer (JSON integers).</summary>
    WholeNumber,

    /// <summary>A double-precision number.</summary>
    RealNumber,

    /// <summary>Boolean.</summary>
    Boolean,

    /// <summary>A timestamp, from an ISO-8601 JSON string, stored in UTC.</summary>
    Timestamp,
}

/// <summary>A column: a top-level JSON field and its type. Every column is optional (a missing field or null is a null).</summary>
/// <param name="Name">The JSON field name, also the column name.</param>
/// <param name="Type">The column type.</param>
public sealed record ParquetColumn(string Name, ParquetColumnType Type);

/// <summary>The compression inside a Parquet file (its pages), not around it.</summary>
public enum ParquetCompression
{
    /// <summary>Uncompressed pages.</summary>
    None,

    /// <summary>Snappy, what Firehose's Parquet conversion uses.</summary>
    Snappy,

    /// <summary>GZIP.</summary>
    Gzip,

    /// <summary>Zstandard.</summary>
    Zstd,
}

/// <summary>How <see cref="ParquetObjectWriter"/> turns JSON records into a Parquet file.</summary>
public sealed class ParquetObjectOptions
{
    /// <summary>
    /// The columns, or <see langword="null"/> to infer them from the first row group's records: top-level
    /// fields in order of first appearance; integers → WholeNumber, other numbers → RealNumber, booleans → Boolean,
    /// everything else (strings, objects, arrays, mixed types) → Text.
    /// </summary>
    /// <value>The default is <see langword="null"/> (inferred). Fields of a record that are not columns are not written.</value>
    public IReadOnlyList<ParquetColumn>? Schema { get; init; }

    /// <summary>Page compression.</summary>
    /// <value>The default is <see cref="ParquetCompression.Snappy"/>, Firehose's.</value>
    public ParquetCompression Compression { get; init; } = ParquetCompression.Snappy;

    /// <summary>Records per row group.</summary>
    /// <value>The default is 100,000; allowed 1–10,000,000.</value>
    public int RowGroupRecords { get; init; } = 100_000;

    /// <summary>JSON bytes gathered for one row group before it is written, whatever its record count.</summary>
    /// <value>The default is 67,108,864 (64 MiB); allowed 65,536–1,073,741,824.</value>
    public int RowGroupBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Checks every option.</summary>
    /// <exception cref="StorageOptionsException">An option is out of range; the message names it.</exception>
    public ParquetObjectOptions Validate()
    {
        if (RowGroupRecords is < 1 or > 10_000_000)
        {
            throw new StorageOptionsException($"{nameof(ParquetObjectOptions)}.{nameof(RowGroupRecords)}", $"{RowGroupRecords} is outside the allowed 1–10000000.");
        }

        if (RowGroupBytes is < 65_536 or > 1 << 30)
        {
            throw new StorageOptionsException($"{nameof(ParquetObjectOptions)}.{nameof(RowGroupBytes)}", $"{RowGroupBytes} is outside the allowed 65536–1073741824 bytes.");
        }

        if (Schema is not null)
        {
            if (Schema.Count == 0)
            {
                throw new StorageOptionsException($"{nameof(ParquetObjectOptions)}.{nameof(Schema)}", "has no columns; give at least one or leave it null to infer them.");
            }

            var duplicate = Schema.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1 || string.IsNullOrEmpty(g.Key));
            if (duplicate is not null)
            {
                throw new StorageOptionsException($"{nameof(ParquetObjectOptions)}.{nameof(Schema)}", $"column name '{duplicate.Key}' is empty or given more than once.");
            }
        }

        return this;
    }
}
