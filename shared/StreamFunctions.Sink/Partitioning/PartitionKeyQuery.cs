using System.Globalization;
using System.Text.Json;
using StreamFunctions.Routing.Rules;

namespace StreamFunctions.Sink.Partitioning;

/// <summary>
/// Extracts <c>partitionKeyFromQuery</c> keys from a JSON record: each key is a field path, written as in
/// Firehose's jq queries (<c>.customer.id</c>) or as JSONPath (<c>$.customer.id</c>). A key must resolve to a
/// string, number or boolean; anything else (missing, null, object, array, non-JSON input) fails the
/// record's partitioning, and it goes to the error prefix as Firehose sends it.
/// </summary>
public sealed class PartitionKeyQuery
{
    private readonly (string Name, FieldPath Path)[] _keys;

    /// <summary>Creates the query.</summary>
    /// <param name="keys">Key name → path.</param>
    /// <exception cref="FormatException">A path is malformed; the message names the key.</exception>
    public PartitionKeyQuery(IReadOnlyDictionary<string, string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys.Select(k =>
        {
            try
            {
                return (k.Key, FieldPath.Parse(k.Value.StartsWith('.') ? "$" + k.Value : k.Value));
            }
            catch (FormatException e)
            {
                throw new FormatException($"partitionKeyFromQuery '{k.Key}': {e.Message}", e);
            }
        })];
    }

    /// <summary>The key names.</summary>
    public IEnumerable<string> Names => _keys.Select(k => k.Name);

    /// <summary>Extracts the keys of one record.</summary>
    /// <param name="json">The record (UTF-8 JSON).</param>
    /// <returns>Name → value.</returns>
    /// <exception cref="PartitioningException">The record is not JSON or a key is missing or not a scalar.</exception>
    public IReadOnlyDictionary<string, string> Extract(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new PartitioningException($"The record is not JSON, so partitionKeyFromQuery keys cannot be read: {e.Message}");
        }

        using (document)
        {
            var values = new Dictionary<string, string>(_keys.Length, StringComparer.Ordinal);
            foreach (var (name, path) in _keys)
            {
                if (!path.TryResolve(document.RootElement, out var value))
                {
                    throw new PartitioningException($"partitionKeyFromQuery '{name}': the record has no field {path}.");
                }

                values[name] = KeyText(value)
                    ?? throw new PartitioningException(string.Create(CultureInfo.InvariantCulture, $"partitionKeyFromQuery '{name}': {path} is {value.ValueKind.ToString().ToLowerInvariant()}, not a string, number or boolean."));
            }

            return values;
        }
    }

    /// <summary>A JSON value as a partition key: a string's text, a number as written, <c>true</c>/<c>false</c>; null for anything else.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The key, or null when the value is not a scalar a key can be.</returns>
    internal static string? KeyText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => null,
    };
}
