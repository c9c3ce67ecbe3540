using System.Text.Json;

namespace StreamFunctions.Json;

/// <summary>
/// An EventBridge-style content match: field path → accepted values (any of them), every field required,
/// e.g. <c>{"$.type": ["click", {"prefix": "page-"}], "$.amount": [{"numeric": [">", 100]}]}</c>.
/// </summary>
public sealed class FieldMatch
{
    // Arrays, not lists: they are read for every record.
    private readonly (FieldPath Path, FieldCondition[] AnyOf)[] _fields;

    // Per field whose accepted values are all string literals: their shortest raw forms, and the shortest of those.
    private readonly (byte[][]? Raw, int Shortest)[] _literals;

    private FieldMatch((FieldPath, FieldCondition[])[] fields)
    {
        _fields = fields;
        _literals = [.. fields.Select(f => f.Item2.All(c => c.ShortestRaw is not null)
            ? ([.. f.Item2.Select(c => c.ShortestRaw!)], f.Item2.Min(c => c.ShortestRaw!.Length))
            : ((byte[][]?)null, 0))];
    }

    /// <summary>How many fields the match tests.</summary>
    public int Count => _fields.Length;

    /// <summary>The fields the match tests, in the order <see cref="Matches(ReadOnlySpan{byte}, ReadOnlySpan{JsonValueSpan})"/> takes them.</summary>
    public IReadOnlyList<FieldPath> Paths => [.. _fields.Select(f => f.Path)];

    /// <summary>Parses a match object.</summary>
    /// <param name="json">The object.</param>
    /// <param name="where">Where it is in the configuration, for errors (e.g. <c>routes[0].match</c>).</param>
    /// <returns>The match.</returns>
    /// <exception cref="FormatException">Malformed; the message says where.</exception>
    public static FieldMatch Parse(JsonElement json, string where)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where}: an object of field path → accepted values, e.g. {{\"$.type\": [\"click\"]}}.");
        }

        var fields = new List<(FieldPath, FieldCondition[])>();
        foreach (var field in json.EnumerateObject())
        {
            FieldPath path;
            try
            {
                path = FieldPath.Parse(field.Name);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{where}: {e.Message}", e);
            }

            var values = field.Value.ValueKind == JsonValueKind.Array ? field.Value.EnumerateArray().ToList() : [field.Value];
            if (values.Count == 0)
            {
                throw new FormatException($"{where}.{field.Name}: list at least one accepted value.");
            }

            fields.Add((path, [.. values.Select((v, i) => FieldCondition.Parse(v, $"{where}.{field.Name}[{i}]"))]));
        }

        return new FieldMatch([.. fields]);
    }

    /// <summary>Whether a record matches.</summary>
    /// <param name="isJson">Whether the record parsed as JSON (a non-JSON record only matches conditions on absent fields).</param>
    /// <param name="root">Its root element (ignored when not JSON).</param>
    /// <returns>True when every field has an accepted value.</returns>
    public bool Matches(bool isJson, JsonElement root)
    {
        foreach (var (path, anyOf) in _fields)
        {
            JsonElement value = default;
            var found = isJson && path.TryResolve(root, out value);
            if (!anyOf.Any(c => c.Matches(found, value)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a record matches, given its fields as located by a <see cref="JsonFieldScanner"/> over <see cref="Paths"/>.</summary>
    /// <param name="record">The record (well-formed JSON).</param>
    /// <param name="values">The value of each of <see cref="Paths"/>, in order.</param>
    /// <returns>True when every field has an accepted value.</returns>
    public bool Matches(ReadOnlySpan<byte> record, ReadOnlySpan<JsonValueSpan> values)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(values.Length, _fields.Length);
        for (var i = 0; i < _fields.Length; i++)
        {
            var found = values[i].Found;
            var value = values[i].Of(record);
            if (_literals[i].Raw is { } raw && IsLiteral(found, value, raw, _literals[i].Shortest) is { } literal)
            {
                if (!literal)
                {
                    return false;
                }

                continue;
            }

            var any = false;
            foreach (var condition in _fields[i].AnyOf)
            {
                if (condition.Matches(found, value))
                {
                    any = true;
                    break;
                }
            }

            if (!any)
            {
                return false;
            }
        }

        return true;
    }

    // A field's value against its literals by bytes: true or false when that decides, null when only the conditions
    // can say (a value longer than a literal may be an escaped form of it, or an array holding it).
    private static bool? IsLiteral(bool found, ReadOnlySpan<byte> value, byte[][] raw, int shortest)
    {
        if (!found)
        {
            return false;
        }

        foreach (var literal in raw)
        {
            if (literal.Length == value.Length && value.SequenceEqual(literal))
            {
                return true;
            }
        }

        return value.Length > shortest ? null : false;
    }
}
