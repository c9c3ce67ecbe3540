using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Json;

/// <summary>
/// A path to one field of a JSON record, in the JSONPath subset routing needs: <c>$</c> followed by
/// <c>.name</c>, <c>['name']</c> (for names with dots, spaces or quotes) and <c>[index]</c> steps, e.g.
/// <c>$.order.items[0].sku</c> or <c>$['user id']</c>. Wildcards and filters are not supported: a route
/// names one field.
/// </summary>
public sealed class FieldPath
{
    private readonly object[] _steps;

    private FieldPath(string text, object[] steps)
    {
        Text = text;
        _steps = steps;
    }

    /// <summary>The steps: a property name (string) or an array index (int).</summary>
    internal IReadOnlyList<object> Steps => _steps;

    /// <summary>The path as written.</summary>
    public string Text { get; }

    /// <summary>Parses a path.</summary>
    /// <param name="text">The path, starting with <c>$</c>.</param>
    /// <returns>The path.</returns>
    /// <exception cref="FormatException">Not a path of the supported form; the message says where.</exception>
    public static FieldPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith('$'))
        {
            throw new FormatException($"Field path '{text}' must start with '$' (e.g. $.user.id).");
        }

        var steps = new List<object>();
        var at = 1;
        while (at < text.Length)
        {
            if (text[at] == '.')
            {
                var end = at + 1;
                while (end < text.Length && text[end] is not ('.' or '['))
                {
                    end++;
                }

                if (end == at + 1)
                {
                    throw new FormatException($"Field path '{text}' has an empty name at position {at + 1}.");
                }

                steps.Add(text[(at + 1)..end]);
                at = end;
            }
            else if (text[at] == '[' && at + 1 < text.Length && text[at + 1] == '\'')
            {
                var name = new StringBuilder();
                var i = at + 2;
                for (; i < text.Length; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        name.Append(text[++i]);
                    }
                    else if (text[i] == '\'')
                    {
                        break;
                    }
                    else
                    {
                        name.Append(text[i]);
                    }
                }

                if (i + 1 >= text.Length || text[i + 1] != ']')
                {
                    throw new FormatException($"Field path '{text}' has an unterminated ['name'] at position {at}.");
                }

                steps.Add(name.ToString());
                at = i + 2;
            }
            else if (text[at] == '[')
            {
                var close = text.IndexOf(']', at);
                if (close < 0 || !int.TryParse(text.AsSpan(at + 1, close - at - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    throw new FormatException($"Field path '{text}' has a bad array index at position {at}: expected [0], [1], ….");
                }

                steps.Add(index);
                at = close + 1;
            }
            else
            {
                throw new FormatException($"Field path '{text}' has '{text[at]}' at position {at}: expected '.name', \"['name']\" or '[index]'.");
            }
        }

        return new FieldPath(text, [.. steps]);
    }

    /// <summary>Finds the field in a record.</summary>
    /// <param name="root">The record.</param>
    /// <param name="value">The field's value.</param>
    /// <returns>Whether the field exists.</returns>
    public bool TryResolve(JsonElement root, out JsonElement value)
    {
        value = root;
        foreach (var step in _steps)
        {
            if (step is string name)
            {
                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
                {
                    return false;
                }
            }
            else
            {
                var index = (int)step;
                if (value.ValueKind != JsonValueKind.Array || index >= value.GetArrayLength())
                {
                    return false;
                }

                value = value[index];
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
