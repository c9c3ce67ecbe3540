using System.Globalization;
using System.Text.Json;
using StreamFunctions.Json;
using StreamFunctions.Transform;

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
    private readonly JsonFieldScanner _scanner;

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
        _scanner = new JsonFieldScanner([.. _keys.Select(k => k.Path)]);
    }

    /// <summary>The key names.</summary>
    public IEnumerable<string> Names => _keys.Select(k => k.Name);

    /// <summary>Extracts the keys of one record.</summary>
    /// <param name="json">The record (UTF-8 JSON).</param>
    /// <returns>Name → value.</returns>
    /// <exception cref="PartitioningException">The record is not JSON or a key is missing or not a scalar.</exception>
    public IReadOnlyDictionary<string, string> Extract(ReadOnlySpan<byte> json) => Extract(json, null);

    /// <summary>The same, sharing the key sets of a batch.</summary>
    internal IReadOnlyDictionary<string, string> Extract(ReadOnlySpan<byte> json, KeySetCache? cache)
    {
        Span<JsonValueSpan> found = _keys.Length <= 64 ? stackalloc JsonValueSpan[_keys.Length] : new JsonValueSpan[_keys.Length];
        if (!_scanner.TryScan(json, found, out var error))
        {
            throw new PartitioningException($"The record is not JSON, so partitionKeyFromQuery keys cannot be read: {error}");
        }

        if (cache is not null && cache.TryGet(json, found, out var shared))
        {
            return shared;
        }

        var values = new Dictionary<string, string>(_keys.Length, StringComparer.Ordinal);
        for (var i = 0; i < _keys.Length; i++)
        {
            var (name, path) = _keys[i];
            if (!found[i].Found)
            {
                throw new PartitioningException($"partitionKeyFromQuery '{name}': the record has no field {path}.");
            }

            var value = found[i].Of(json);
            values[name] = RawJson.ScalarText(value) ?? throw new PartitioningException(RawJson.Kind(value) == JsonValueKind.String
                ? $"partitionKeyFromQuery '{name}': {path} is not valid Unicode (a lone surrogate)."
                : string.Create(CultureInfo.InvariantCulture, $"partitionKeyFromQuery '{name}': {path} is {RawJson.Kind(value).ToString().ToLowerInvariant()}, not a string, number or boolean."));
        }

        cache?.Add(json, found, values);
        return values;
    }
}
