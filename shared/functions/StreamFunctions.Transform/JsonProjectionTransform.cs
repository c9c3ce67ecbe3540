using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using StreamFunctions.Json;

namespace StreamFunctions.Transform;

/// <summary>What a projection does when a projected field is absent from a record.</summary>
public enum MissingFieldBehavior
{
    /// <summary>Leave the field out of the output.</summary>
    Omit,

    /// <summary>Write the field as <c>null</c>.</summary>
    Null,

    /// <summary>Fail the record (ProcessingFailed).</summary>
    Fail,
}

/// <summary>
/// A configurable JSON transform that obeys the Firehose contract: a <c>filter</c> (an EventBridge-style
/// match; records that do not match are Dropped), a projection <c>fields</c> (output name → field path:
/// selects, renames and flattens), <c>partitionKeys</c> (name → field path, returned as
/// <c>metadata.partitionKeys</c> for <c>!{partitionKeyFromLambda:name}</c>) and <c>appendNewline</c>.
/// A record that is not JSON, or misses a partition key (or a field with <c>"missing": "fail"</c>), is
/// ProcessingFailed with the reason.
/// </summary>
/// <example>
/// <code>
/// {"filter": {"$.type": ["click"]}, "fields": {"user": "$.user.id", "page": "$.page"},
///  "partitionKeys": {"customer": "$.customer"}, "appendNewline": true}
/// </code>
/// </example>
public sealed class JsonProjectionTransform : IRecordBlockTransform
{
    private readonly FieldMatch? _filter;
    private readonly (string Name, FieldPath Path)[]? _fields;
    private readonly (string Name, FieldPath Path)[] _partitionKeys;
    private readonly MissingFieldBehavior _missing;
    private readonly bool _appendNewline;
    private readonly JsonFieldScanner _scanner;
    // Each field's ,"name": (its comma, JSON-escaped name and colon), all in one array: field f's are the
    // _prefixLengths[f] bytes from _prefixStarts[f].
    private readonly byte[] _prefixes;
    private readonly int[] _prefixStarts;
    private readonly int[] _prefixLengths;

    // The most bytes a projection adds to its fields' raw values: the braces, the newline, every prefix, and a
    // null for every field.
    private readonly int _overhead;

    private JsonProjectionTransform(FieldMatch? filter, (string, FieldPath)[]? fields, (string, FieldPath)[] partitionKeys, MissingFieldBehavior missing, bool appendNewline)
    {
        _filter = filter;
        _fields = fields;
        _partitionKeys = partitionKeys;
        _missing = missing;
        _appendNewline = appendNewline;

        // One scan finds the filter's fields, then the keys, then the projected fields, in that order.
        _scanner = new JsonFieldScanner([.. filter?.Paths ?? [], .. partitionKeys.Select(k => k.Item2), .. (fields ?? []).Select(f => f.Item2)]);
        byte[][] prefixes = [.. (fields ?? []).Select(f => (byte[])[(byte)',', (byte)'"', .. JsonEncodedText.Encode(f.Item1).EncodedUtf8Bytes, (byte)'"', (byte)':'])];
        _prefixes = [.. prefixes.SelectMany(p => p)];
        _prefixLengths = [.. prefixes.Select(p => p.Length)];
        _prefixStarts = [.. prefixes.Select((_, f) => prefixes.Take(f).Sum(p => p.Length))];
        _overhead = 3 + _prefixes.Length + (4 * prefixes.Length);
    }

    /// <summary>Reads a configuration.</summary>
    /// <param name="json">The configuration (see the class remarks).</param>
    /// <returns>The transform.</returns>
    /// <exception cref="FormatException">The configuration is malformed; the message says where.</exception>
    public static JsonProjectionTransform Parse(string json)
    {
        using (var document = ConfigurationJson.Parse(json, "The transform configuration is not JSON"))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("The transform configuration is an object with filter, fields, missing, partitionKeys, appendNewline.");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("filter" or "fields" or "missing" or "partitionKeys" or "appendNewline"))
                {
                    throw new FormatException($"Transform configuration: unknown setting '{property.Name}' (expected filter, fields, missing, partitionKeys, appendNewline).");
                }
            }

            var filter = root.TryGetProperty("filter", out var f) ? FieldMatch.Parse(f, "filter") : null;
            var fields = root.TryGetProperty("fields", out var p) ? Paths(p, "fields") : null;
            var keys = root.TryGetProperty("partitionKeys", out var k) ? Paths(k, "partitionKeys") : [];
            var missing = !root.TryGetProperty("missing", out var m) ? MissingFieldBehavior.Omit : (m.ValueKind == JsonValueKind.String ? m.GetString() : null) switch
            {
                "omit" => MissingFieldBehavior.Omit,
                "null" => MissingFieldBehavior.Null,
                "fail" => MissingFieldBehavior.Fail,
                _ => throw new FormatException($"Transform configuration: missing is \"omit\", \"null\" or \"fail\", not {m.GetRawText()}."),
            };
            var newline = root.TryGetProperty("appendNewline", out var n) && (n.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? n.GetBoolean()
                : throw new FormatException($"Transform configuration: appendNewline is true or false, not {n.GetRawText()}."));
            return new JsonProjectionTransform(filter, fields, keys, missing, newline);
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<TransformOutput>> TransformAsync(IReadOnlyList<TransformInput> records, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(TransformBlock.Run(this, records));
    }

    /// <summary>Transforms one record.</summary>
    /// <param name="input">The record.</param>
    /// <returns>The output.</returns>
    public TransformOutput Transform(TransformInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return TransformBlock.Run(this, [input])[0];
    }

    /// <inheritdoc/>
    public void Transform(TransformBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        Span<JsonValueSpan> values = _scanner.Count <= 64 ? stackalloc JsonValueSpan[_scanner.Count] : new JsonValueSpan[_scanner.Count];
        for (var i = 0; i < block.Count; i++)
        {
            Transform(block, i, values);
        }
    }

    private static (string, FieldPath)[] Paths(JsonElement json, string where)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"Transform configuration: {where} is an object of name → field path, e.g. {{\"user\": \"$.user.id\"}}.");
        }

        return [.. json.EnumerateObject().Select(p =>
        {
            try
            {
                return (p.Name, FieldPath.Parse(p.Value.GetString() ?? throw new FormatException("a field path string is required.")));
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                throw new FormatException($"Transform configuration: {where}.{p.Name}: {e.Message}", e);
            }
        })];
    }

    // One pass over the record finds every field the filter, the keys and the projection read; the output is
    // written from the fields' raw JSON, without a document.
    private void Transform(TransformBlock block, int index, Span<JsonValueSpan> values)
    {
        var record = block.Data(index);
        if (!_scanner.TryScan(record, values, out var error))
        {
            NotJson(block, index, error);
            return;
        }

        var filterCount = _filter?.Count ?? 0;
        if (_filter is not null && !_filter.Matches(record, values[..filterCount]))
        {
            block.Dropped(index);
            return;
        }

        IReadOnlyDictionary<string, string>? keys = null;
        var keyValues = values.Slice(filterCount, _partitionKeys.Length);
        if (_partitionKeys.Length > 0 && !block.KeySets.TryGet(record, keyValues, out keys) && (keys = KeySet(block, index, record, keyValues)) is null)
        {
            return;
        }

        if (_fields is null)
        {
            // No projection: the record's own bytes (JSON already), nothing re-serialized.
            if (_appendNewline)
            {
                var copy = block.Ok(index, record.Length + 1, keys);
                record.CopyTo(copy);
                copy[^1] = (byte)'\n';
            }
            else
            {
                block.Unchanged(index, keys);
            }

            return;
        }

        var fieldValues = values[(filterCount + _partitionKeys.Length)..];
        var bound = _overhead;
        foreach (var value in fieldValues)
        {
            bound += value.Length;
        }

        // Written once, into room for the longest it can be; its length is known at the end. Each field is written
        // with its comma, and the first field's comma becomes the opening brace.
        var span = block.Reserve(bound);
        var prefixes = _prefixes;
        var at = 0;
        for (var f = 0; f < fieldValues.Length; f++)
        {
            var value = fieldValues[f];
            ReadOnlySpan<byte> raw;
            if (value.Found)
            {
                raw = value.Of(record);
                if (raw[0] is (byte)'{' or (byte)'[' && raw.IndexOfAny((byte)'\n', (byte)'\r') >= 0)
                {
                    // A pretty-printed object or array (only they can hold a line break: strings cannot, raw): written
                    // compact, so that a record stays one line.
                    block.Ok(index, Reserialized(record, fieldValues), keys);
                    return;
                }
            }
            else if (_missing == MissingFieldBehavior.Null)
            {
                raw = "null"u8;
            }
            else if (_missing == MissingFieldBehavior.Fail)
            {
                Missing(block, index, f);
                return;
            }
            else
            {
                continue;
            }

            at += Copy(prefixes.AsSpan(_prefixStarts[f], _prefixLengths[f]), span[at..]);
            at += Copy(raw, span[at..]);
        }

        if (at == 0)
        {
            at = 1;
        }

        span[0] = (byte)'{';
        span[at++] = (byte)'}';
        if (_appendNewline)
        {
            span[at++] = (byte)'\n';
        }

        block.Commit(index, at, keys);
    }

    // A name's or a value's few bytes, copied in line (two overlapping moves) rather than by a call per copy.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Copy(ReadOnlySpan<byte> from, Span<byte> to)
    {
        var length = from.Length;
        if (length > to.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(to), "The output span is too short.");
        }

        ref var source = ref MemoryMarshal.GetReference(from);
        ref var target = ref MemoryMarshal.GetReference(to);
        if (length > 32 && length <= 64)
        {
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref source), ref target);
            Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref source, (nuint)(length - 32)), ref target, (nuint)(length - 32));
        }
        else if (length >= 16 && length <= 32)
        {
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref source), ref target);
            Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref source, (nuint)(length - 16)), ref target, (nuint)(length - 16));
        }
        else if (length >= 8 && length < 16)
        {
            Unsafe.WriteUnaligned(ref target, Unsafe.ReadUnaligned<ulong>(ref source));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, length - 8)));
        }
        else if (length >= 4 && length < 8)
        {
            Unsafe.WriteUnaligned(ref target, Unsafe.ReadUnaligned<uint>(ref source));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 4), Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, length - 4)));
        }
        else
        {
            from.CopyTo(to);
        }

        return length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Missing(TransformBlock block, int index, int field) => block.Failed(index, $"Field '{_fields![field].Name}': the record has no {_fields[field].Path}.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void NotJson(TransformBlock block, int index, string error) => block.Failed(index, $"The record is not JSON: {error}");

    // A key combination the batch has not had yet (or a record that lacks a key: failed, null returned).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Dictionary<string, string>? KeySet(TransformBlock block, int index, ReadOnlySpan<byte> record, ReadOnlySpan<JsonValueSpan> keyValues)
    {
        var built = new Dictionary<string, string>(_partitionKeys.Length, StringComparer.Ordinal);
        for (var k = 0; k < _partitionKeys.Length; k++)
        {
            var (name, path) = _partitionKeys[k];
            var value = keyValues[k];
            if (RawJson.ScalarText(value.Of(record)) is not { } key)
            {
                block.Failed(index, $"Partition key '{name}': {path} is {(!value.Found ? "missing" : RawJson.Kind(value.Of(record)) is JsonValueKind.String ? "not valid Unicode (a lone surrogate)" : RawJson.Kind(value.Of(record)).ToString().ToLowerInvariant())}; a string, number or boolean is required.");
                return null;
            }

            built[name] = key;
        }

        block.KeySets.Add(record, keyValues, built);
        return built;
    }

    // The projection through a document and a writer (compact output), for records whose projected values span lines.
    private byte[] Reserialized(ReadOnlySpan<byte> record, ReadOnlySpan<JsonValueSpan> fieldValues)
    {
        var buffer = new ArrayBufferWriter<byte>(record.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            for (var f = 0; f < _fields!.Length; f++)
            {
                if (fieldValues[f].Found)
                {
                    writer.WritePropertyName(_fields[f].Name);
                    using var value = JsonDocument.Parse(record.Slice(fieldValues[f].Start, fieldValues[f].Length).ToArray());
                    value.RootElement.WriteTo(writer);
                }
                else if (_missing == MissingFieldBehavior.Null)
                {
                    writer.WriteNull(_fields[f].Name);
                }
            }

            writer.WriteEndObject();
        }

        if (_appendNewline)
        {
            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
