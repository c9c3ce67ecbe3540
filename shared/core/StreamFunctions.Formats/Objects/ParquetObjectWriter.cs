using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Records;

namespace StreamFunctions.Formats.Objects;

/// <summary>
/// Writes JSON records as a Parquet file into a destination stream,
/// one row group per <see cref="ParquetObjectOptions.RowGroupRecords"/> records, with a schema from the
/// options or inferred from the first row group. The same records and options give the same bytes.
/// </summary>
public sealed class ParquetObjectWriter : IAsyncDisposable
{
    private readonly Stream _destination;
    private readonly ParquetObjectOptions _options;
    private readonly PooledBuffer _pending = new(64 * 1024);
    private readonly List<int> _ends = [];
    private IReadOnlyList<ParquetColumn>? _columns;
    private ParquetWriter? _writer;
    private DataField[] _fields = [];
    private long _rowGroupStart;
    private bool _completed;

    /// <summary>Creates a writer.</summary>
    /// <param name="destination">Where the file goes; written forward only.</param>
    /// <param name="options">Schema and layout; validated.</param>
    public ParquetObjectWriter(Stream destination, ParquetObjectOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _destination = destination;
        _options = (options ?? new ParquetObjectOptions()).Validate();
        _columns = _options.Schema;
    }

    /// <summary>How many records have been written (including those waiting for their row group).</summary>
    public long RecordCount => _rowGroupStart + _ends.Count;

    /// <summary>The columns, once known (given, or inferred at the first row group).</summary>
    public IReadOnlyList<ParquetColumn>? Columns => _columns;

    /// <summary>Adds a record; writes a row group when one is full.</summary>
    /// <param name="json">A UTF-8 JSON object.</param>
    /// <param name="cancellationToken">Cancels the row-group write.</param>
    /// <exception cref="ObjectWriterException">The record is not a JSON object, or (when its row group is written) a field does not fit its column.</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        CheckObject(json.Span, RecordCount);
        _pending.Write(json.Span);
        _ends.Add(_pending.WrittenCount);
        return _ends.Count >= _options.RowGroupRecords || _pending.WrittenCount >= _options.RowGroupBytes
            ? new ValueTask(WriteRowGroupAsync(cancellationToken))
            : ValueTask.CompletedTask;
    }

    /// <summary>Adds a user record's data (see <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>).</summary>
    public ValueTask WriteAsync(UserRecord record, CancellationToken cancellationToken = default) => WriteAsync(record.Data, cancellationToken);

    /// <summary>Writes the last row group and the footer. An object with no record gets the schema's columns (or, inferred from nothing, one Text column "data") and no row group.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return;
        }

        if (_ends.Count > 0 || _writer is null)
        {
            await WriteRowGroupAsync(cancellationToken).ConfigureAwait(false);
        }

        await _writer!.DisposeAsync().ConfigureAwait(false);
        _completed = true;
        _pending.Dispose();
    }

    /// <summary>Completes the file if <see cref="CompleteAsync"/> was not called.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            await CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteRowGroupAsync(CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            _columns ??= Infer();
            _fields = [.. _columns.Select(ToField)];
            var parquetOptions = new ParquetOptions
            {
                CompressionMethod = _options.Compression switch
                {
                    ParquetCompression.None => CompressionMethod.None,
                    ParquetCompression.Gzip => CompressionMethod.Gzip,
                    ParquetCompression.Zstd => CompressionMethod.Zstd,
                    _ => CompressionMethod.Snappy,
                },
            };
            _writer = await ParquetWriter.CreateAsync(new ParquetSchema(_fields), _destination, parquetOptions, append: false, cancellationToken).ConfigureAwait(false);
        }

        if (_ends.Count == 0)
        {
            return;
        }

        var columns = Shred();
        using (var rowGroup = _writer.CreateRowGroup())
        {
            for (var c = 0; c < _fields.Length; c++)
            {
                var field = _fields[c];
                switch (columns[c])
                {
                    case string?[] strings:
                        await rowGroup.WriteAsync(field, strings!, null).ConfigureAwait(false);
                        break;
                    case long?[] longs:
                        await rowGroup.WriteAsync<long>(field, longs, null, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case double?[] doubles:
                        await rowGroup.WriteAsync<double>(field, doubles, null, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case bool?[] booleans:
                        await rowGroup.WriteAsync<bool>(field, booleans, null, null, cancellationToken).ConfigureAwait(false);
                        break;
                    case DateTime?[] times:
                        await rowGroup.WriteAsync<DateTime>(field, times, null, null, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }

        _rowGroupStart += _ends.Count;
        _ends.Clear();
        _pending.Clear();
    }

    private static DataField ToField(ParquetColumn column) => column.Type switch
    {
        ParquetColumnType.WholeNumber => new DataField<long?>(column.Name),
        ParquetColumnType.RealNumber => new DataField<double?>(column.Name),
        ParquetColumnType.Boolean => new DataField<bool?>(column.Name),
        ParquetColumnType.Timestamp => new DataField<DateTime?>(column.Name),
        _ => new DataField<string>(column.Name, true),
    };

    private ReadOnlySpan<byte> Record(int i) => _pending.WrittenSpan[(i == 0 ? 0 : _ends[i - 1]).._ends[i]];

    /// <summary>The columns of the pending records: fields in first-appearance order, each typed by the values it held.</summary>
    private List<ParquetColumn> Infer()
    {
        var order = new List<string>();
        var kinds = new Dictionary<string, ParquetColumnType?>(StringComparer.Ordinal);
        for (var i = 0; i < _ends.Count; i++)
        {
            var reader = new Utf8JsonReader(Record(i));
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                ParquetColumnType? kind = reader.TokenType switch
                {
                    JsonTokenType.Number => reader.TryGetInt64(out _) ? ParquetColumnType.WholeNumber : ParquetColumnType.RealNumber,
                    JsonTokenType.True or JsonTokenType.False => ParquetColumnType.Boolean,
                    JsonTokenType.Null => null,
                    _ => ParquetColumnType.Text,
                };
                reader.Skip();
                if (!kinds.TryGetValue(name, out var known))
                {
                    order.Add(name);
                    kinds[name] = kind;
                }
                else if (kind is not null && known != kind)
                {
                    kinds[name] = known is null ? kind
                        : (known, kind) is (ParquetColumnType.WholeNumber, ParquetColumnType.RealNumber) or (ParquetColumnType.RealNumber, ParquetColumnType.WholeNumber) ? ParquetColumnType.RealNumber
                        : ParquetColumnType.Text;
                }
            }
        }

        return order.Count == 0
            ? [new ParquetColumn("data", ParquetColumnType.Text)]
            : [.. order.Select(n => new ParquetColumn(n, kinds[n] ?? ParquetColumnType.Text))];
    }

    /// <summary>The pending records as one typed array per column.</summary>
    private Array[] Shred()
    {
        var count = _ends.Count;
        var columns = new Array[_fields.Length];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var c = 0; c < _columns!.Count; c++)
        {
            index[_columns[c].Name] = c;
            columns[c] = _columns[c].Type switch
            {
                ParquetColumnType.WholeNumber => new long?[count],
                ParquetColumnType.RealNumber => new double?[count],
                ParquetColumnType.Boolean => new bool?[count],
                ParquetColumnType.Timestamp => new DateTime?[count],
                _ => new string?[count],
            };
        }

        for (var i = 0; i < count; i++)
        {
            var json = Record(i);
            var reader = new Utf8JsonReader(json);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (index.TryGetValue(name, out var c) && reader.TokenType != JsonTokenType.Null)
                {
                    Set(columns[c], i, ref reader, json, _columns[c], _rowGroupStart + i);
                }

                reader.Skip();
            }
        }

        return columns;
    }

    private static void Set(Array column, int row, ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ParquetColumn definition, long recordIndex)
    {
        var token = reader.TokenType;
        switch (column)
        {
            case long?[] longs when token == JsonTokenType.Number && reader.TryGetInt64(out var l):
                longs[row] = l;
                return;
            case double?[] doubles when token == JsonTokenType.Number && reader.TryGetDouble(out var d):
                doubles[row] = d;
                return;
            case bool?[] booleans when token is JsonTokenType.True or JsonTokenType.False:
                booleans[row] = token == JsonTokenType.True;
                return;
            case DateTime?[] times when token == JsonTokenType.String
                && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t):
                times[row] = t.UtcDateTime;
                return;
            case string?[] strings:
                if (token == JsonTokenType.String)
                {
                    strings[row] = reader.GetString();
                }
                else
                {
                    // Numbers, booleans, objects and arrays keep their JSON text.
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    strings[row] = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
                }

                return;
        }

        throw new ObjectWriterException($"Record {recordIndex}: field '{definition.Name}' holds {token} {Encoding.UTF8.GetString(json[(int)reader.TokenStartIndex..Math.Min(json.Length, (int)reader.TokenStartIndex + 40)])}, which does not fit its {definition.Type} column.", recordIndex);
    }

    private static void CheckObject(ReadOnlySpan<byte> json, long index)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ObjectWriterException($"Record {index} is not a JSON object, so it has no fields to put in columns.", index);
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new ObjectWriterException($"Record {index} holds more than one JSON value.", index);
            }
        }
        catch (JsonException e)
        {
            throw new ObjectWriterException($"Record {index} is not valid JSON: {e.Message}", index, e);
        }
    }
}
