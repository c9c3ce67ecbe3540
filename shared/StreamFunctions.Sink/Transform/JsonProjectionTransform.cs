using System.Buffers;
using System.Text.Json;
using StreamFunctions.Routing.Rules;
using StreamFunctions.Sink.Partitioning;

namespace StreamFunctions.Sink.Transform;

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
public sealed class JsonProjectionTransform : IRecordTransform
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };
    private readonly FieldMatch? _filter;
    private readonly (string Name, FieldPath Path)[]? _fields;
    private readonly (string Name, FieldPath Path)[] _partitionKeys;
    private readonly MissingFieldBehavior _missing;
    private readonly bool _appendNewline;

    private JsonProjectionTransform(FieldMatch? filter, (string, FieldPath)[]? fields, (string, FieldPath)[] partitionKeys, MissingFieldBehavior missing, bool appendNewline)
    {
        _filter = filter;
        _fields = fields;
        _partitionKeys = partitionKeys;
        _missing = missing;
        _appendNewline = appendNewline;
    }

    /// <summary>Reads a configuration.</summary>
    /// <param name="json">The configuration (see the class remarks).</param>
    /// <returns>The transform.</returns>
    /// <exception cref="FormatException">The configuration is malformed; the message says where.</exception>
    public static JsonProjectionTransform Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"The transform configuration is not JSON: {e.Message}", e);
        }

        using (document)
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
            var missing = !root.TryGetProperty("missing", out var m) ? MissingFieldBehavior.Omit : m.GetString() switch
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
        ArgumentNullException.ThrowIfNull(records);
        var outputs = new TransformOutput[records.Count];
        var buffer = new ArrayBufferWriter<byte>(1024);
        using var writer = new Utf8JsonWriter(buffer);
        for (var i = 0; i < records.Count; i++)
        {
            outputs[i] = Transform(records[i], buffer, writer);
        }

        return Task.FromResult<IReadOnlyList<TransformOutput>>(outputs);
    }

    /// <summary>Transforms one record.</summary>
    /// <param name="input">The record.</param>
    /// <returns>The output.</returns>
    public TransformOutput Transform(TransformInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var buffer = new ArrayBufferWriter<byte>(input.Data.Length + 16);
        using var writer = new Utf8JsonWriter(buffer);
        return Transform(input, buffer, writer);
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

    private TransformOutput Transform(TransformInput input, ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(input.Data, DocumentOptions);
        }
        catch (JsonException e)
        {
            return TransformOutput.Failed(input, $"The record is not JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (_filter is not null && !_filter.Matches(true, root))
            {
                return new TransformOutput(input.RecordId, TransformResult.Dropped, ReadOnlyMemory<byte>.Empty);
            }

            Dictionary<string, string>? keys = null;
            foreach (var (name, path) in _partitionKeys)
            {
                if (!path.TryResolve(root, out var value) || PartitionKeyQuery.KeyText(value) is not { } key)
                {
                    return TransformOutput.Failed(input, $"Partition key '{name}': {path} is {(value.ValueKind == JsonValueKind.Undefined ? "missing" : value.ValueKind.ToString().ToLowerInvariant())}; a string, number or boolean is required.");
                }

                keys ??= new Dictionary<string, string>(_partitionKeys.Length, StringComparer.Ordinal);
                keys[name] = key;
            }

            if (_fields is null)
            {
                // No projection: the record's own bytes (JSON already), nothing re-serialized.
                return new TransformOutput(input.RecordId, TransformResult.Ok, _appendNewline ? (byte[])[.. input.Data.Span, (byte)'\n'] : input.Data, keys);
            }

            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            writer.WriteStartObject();
            foreach (var (name, path) in _fields)
            {
                if (path.TryResolve(root, out var value))
                {
                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
                else if (_missing == MissingFieldBehavior.Null)
                {
                    writer.WriteNull(name);
                }
                else if (_missing == MissingFieldBehavior.Fail)
                {
                    return TransformOutput.Failed(input, $"Field '{name}': the record has no {path}.");
                }
            }

            writer.WriteEndObject();
            writer.Flush();
            var length = buffer.WrittenCount + (_appendNewline ? 1 : 0);
            var data = new byte[length];
            buffer.WrittenSpan.CopyTo(data);
            if (_appendNewline)
            {
                data[^1] = (byte)'\n';
            }

            return new TransformOutput(input.RecordId, TransformResult.Ok, data, keys);
        }
    }
}
