using System.Globalization;
using System.Text.Json.Nodes;

namespace StreamFunctions.Lambda.Events.Tests;

/// <summary>
/// Compares two JSON documents by meaning: same members and array elements; numbers by value
/// (1607497475.000 == 1607497475); strings exactly, except base64 fields, compared by the bytes
/// they decode to; a member whose value is null is the same as an absent member (Lambda omits or
/// nulls absent fields interchangeably). Returns the first difference's path, or null.
/// </summary>
internal static class JsonSemantics
{
    public static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected, actual)
        {
            case (null, null):
                return null;
            case (JsonObject e, JsonObject a):
                foreach (var name in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    var difference = FirstDifference(e[name], a[name], $"{path}.{name}");
                    if (difference is not null)
                    {
                        return difference;
                    }
                }

                return null;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    return $"{path}: {e.Count} elements expected, {a.Count} found";
                }

                for (var i = 0; i < e.Count; i++)
                {
                    var difference = FirstDifference(e[i], a[i], $"{path}[{i}]");
                    if (difference is not null)
                    {
                        return difference;
                    }
                }

                return null;
            case (JsonValue e, JsonValue a):
                var expectedText = e.ToJsonString();
                var actualText = a.ToJsonString();
                if (expectedText == actualText)
                {
                    return null;
                }

                if (e.GetValueKind() == System.Text.Json.JsonValueKind.Number && a.GetValueKind() == System.Text.Json.JsonValueKind.Number
                    && decimal.Parse(expectedText, NumberStyles.Float, CultureInfo.InvariantCulture) == decimal.Parse(actualText, NumberStyles.Float, CultureInfo.InvariantCulture))
                {
                    return null;
                }

                if (e.TryGetValue<string>(out var es) && a.TryGetValue<string>(out var @as) && SameBase64(es, @as))
                {
                    return null;
                }

                return $"{path}: {expectedText} expected, {actualText} found";
            default:
                return $"{path}: {expected?.ToJsonString() ?? "null"} expected, {actual?.ToJsonString() ?? "null"} found";
        }
    }

    private static bool SameBase64(string expected, string actual)
    {
        var a = new byte[expected.Length];
        var b = new byte[actual.Length];
        return Convert.TryFromBase64String(expected, a, out var na) && Convert.TryFromBase64String(actual, b, out var nb) && a.AsSpan(0, na).SequenceEqual(b.AsSpan(0, nb));
    }
}
