using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Json;

/// <summary>
/// One accepted value of a field, in the pattern syntax of EventBridge and Lambda's event filtering:
/// a literal (string, number, boolean or null: equal), or <c>{"prefix": "…"}</c>, <c>{"suffix": "…"}</c>,
/// <c>{"equals-ignore-case": "…"}</c>, <c>{"anything-but": literal | [literals]}</c>,
/// <c>{"numeric": ["&gt;", 0, "&lt;=", 5]}</c> or <c>{"exists": true | false}</c>. When the field holds an
/// array, the condition holds if it holds for any element (as in EventBridge).
/// </summary>
public abstract class FieldCondition
{
    private protected FieldCondition()
    {
    }

    /// <summary>Whether the condition holds for a field.</summary>
    /// <param name="found">Whether the field exists.</param>
    /// <param name="value">Its value, when it exists.</param>
    /// <returns>Whether it matches.</returns>
    public bool Matches(bool found, JsonElement value) => Matches(found, found ? JsonMarshal.GetRawUtf8Value(value) : default);

    /// <summary>Whether the condition holds for a field given as its raw JSON (see <see cref="JsonFieldScanner"/>).</summary>
    /// <param name="found">Whether the field exists.</param>
    /// <param name="value">Its raw JSON (a string with its quotes), when it exists; it must be well-formed.</param>
    /// <returns>Whether it matches.</returns>
    public bool Matches(bool found, ReadOnlySpan<byte> value)
    {
        if (this is Exists exists)
        {
            return found == exists.Expected;
        }

        if (!found)
        {
            return false;
        }

        if (RawJson.Kind(value) == JsonValueKind.Array)
        {
            var reader = new Utf8JsonReader(value);
            reader.Read();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }

                if (MatchesValue(value[start..(int)reader.BytesConsumed]))
                {
                    return true;
                }
            }

            return false;
        }

        return MatchesValue(value);
    }

    /// <summary>Parses one condition.</summary>
    /// <param name="element">The condition's JSON.</param>
    /// <param name="where">Where it is in the configuration, for errors.</param>
    /// <returns>The condition.</returns>
    /// <exception cref="FormatException">Not a condition; the message says where and why.</exception>
    public static FieldCondition Parse(JsonElement element, string where)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null:
                return new Equal(element.Clone());
            case JsonValueKind.Object:
                var properties = element.EnumerateObject().ToList();
                if (properties.Count != 1)
                {
                    throw new FormatException($"{where}: a condition object has exactly one operator (prefix, suffix, equals-ignore-case, anything-but, numeric, exists).");
                }

                var (op, operand) = (properties[0].Name, properties[0].Value);
                return op switch
                {
                    "prefix" => new Prefix(StringOperand(operand, where, op), StringComparison.Ordinal, suffix: false),
                    "suffix" => new Prefix(StringOperand(operand, where, op), StringComparison.Ordinal, suffix: true),
                    "equals-ignore-case" => new Prefix(StringOperand(operand, where, op), StringComparison.OrdinalIgnoreCase, suffix: false, whole: true),
                    "anything-but" => new AnythingBut(operand.ValueKind == JsonValueKind.Array
                        ? [.. operand.EnumerateArray().Select((e, i) => Parse(e, $"{where}.anything-but[{i}]"))]
                        : [Parse(operand, $"{where}.anything-but")]),
                    "numeric" => Numeric.FromOperand(operand, where),
                    "exists" => operand.ValueKind is JsonValueKind.True or JsonValueKind.False
                        ? new Exists(operand.GetBoolean())
                        : throw new FormatException($"{where}: exists takes true or false."),
                    _ => throw new FormatException($"{where}: unknown operator '{op}' (expected prefix, suffix, equals-ignore-case, anything-but, numeric or exists)."),
                };
            default:
                throw new FormatException($"{where}: a condition is a literal or an operator object, not {element.ValueKind}.");
        }
    }

    /// <summary>For a string literal that JSON can carry unescaped: its shortest raw form (quoted), which an equal value has unless it uses escapes.</summary>
    internal virtual byte[]? ShortestRaw => null;

    private protected abstract bool MatchesValue(ReadOnlySpan<byte> value);

    private static string StringOperand(JsonElement operand, string where, string op) =>
        operand.ValueKind == JsonValueKind.String ? operand.GetString()! : throw new FormatException($"{where}: {op} takes a string.");

    private sealed class Equal(JsonElement expected) : FieldCondition
    {
        private readonly JsonValueKind _kind = expected.ValueKind;
        private readonly byte[] _text = expected.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetBytes(expected.GetString()!) : [];
        private readonly byte[]? _raw = expected.ValueKind == JsonValueKind.String ? Unescaped(expected.GetString()!) : null;
        private readonly double _number = expected.ValueKind == JsonValueKind.Number ? expected.GetDouble() : 0;

        internal override byte[]? ShortestRaw => _raw;

        private protected override bool MatchesValue(ReadOnlySpan<byte> value) => _kind switch
        {
            // An escape always takes more bytes than the character it stands for, so a string as long as the
            // text's shortest form (quoted, nothing escaped) is equal only byte for byte, a shorter one never,
            // and only a longer one (with escapes) needs unescaping.
            JsonValueKind.String when _raw is not null && value.Length <= _raw.Length => value.SequenceEqual(_raw),
            JsonValueKind.String => RawJson.Kind(value) == JsonValueKind.String && RawJson.StringEquals(value, _text),
            JsonValueKind.Number => RawJson.Kind(value) == JsonValueKind.Number && RawJson.TryGetDouble(value, out var x) && x == _number,
            _ => RawJson.Kind(value) == _kind,
        };

        // The text quoted with nothing escaped, when that is valid JSON (no quote, backslash or control character).
        private static byte[]? Unescaped(string text) =>
            text.AsSpan().IndexOfAny('"', '\\') < 0 && !text.AsSpan().ContainsAnyInRange('\0', '\u001f') ? Encoding.UTF8.GetBytes($"\"{text}\"") : null;
    }

    private sealed class Prefix(string text, StringComparison comparison, bool suffix, bool whole = false) : FieldCondition
    {
        private readonly byte[] _utf8 = Encoding.UTF8.GetBytes(text);

        private protected override bool MatchesValue(ReadOnlySpan<byte> value)
        {
            if (RawJson.Kind(value) != JsonValueKind.String)
            {
                return false;
            }

            // Ordinal prefixes and suffixes of unescaped UTF-8 are those of the text; anything else compares the text.
            var content = value[1..^1];
            if (comparison == StringComparison.Ordinal && !whole && content.IndexOf((byte)'\\') < 0)
            {
                return suffix ? content.EndsWith(_utf8) : content.StartsWith(_utf8);
            }

            // A string without text (an escaped lone surrogate) holds no condition on its text.
            return RawJson.TryGetString(value, out var s)
                && (whole ? string.Equals(s, text, comparison) : suffix ? s.EndsWith(text, comparison) : s.StartsWith(text, comparison));
        }
    }

    private sealed class AnythingBut(FieldCondition[] excluded) : FieldCondition
    {
        private protected override bool MatchesValue(ReadOnlySpan<byte> value)
        {
            foreach (var e in excluded)
            {
                if (e.MatchesValue(value))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private sealed class Exists(bool expected) : FieldCondition
    {
        public bool Expected { get; } = expected;

        private protected override bool MatchesValue(ReadOnlySpan<byte> value) => Expected;
    }

    private sealed class Numeric(List<(string Op, double Bound)> bounds) : FieldCondition
    {
        public static Numeric FromOperand(JsonElement operand, string where)
        {
            var items = operand.ValueKind == JsonValueKind.Array ? operand.EnumerateArray().ToList() : [];
            if (items.Count is not (2 or 4))
            {
                throw new FormatException($"{where}: numeric takes [op, number] or [op, number, op, number], e.g. [\">\", 0, \"<=\", 5].");
            }

            var bounds = new List<(string, double)>();
            for (var i = 0; i < items.Count; i += 2)
            {
                var op = items[i].ValueKind == JsonValueKind.String ? items[i].GetString()! : string.Empty;
                if (op is not ("=" or "<" or "<=" or ">" or ">=") || items[i + 1].ValueKind != JsonValueKind.Number)
                {
                    throw new FormatException($"{where}: numeric operator {i / 2} must be one of = < <= > >= followed by a number.");
                }

                bounds.Add((op, items[i + 1].GetDouble()));
            }

            return new Numeric(bounds);
        }

        private protected override bool MatchesValue(ReadOnlySpan<byte> value)
        {
            if (RawJson.Kind(value) != JsonValueKind.Number || !RawJson.TryGetDouble(value, out var x))
            {
                return false;
            }

            foreach (var (op, bound) in bounds)
            {
                var ok = op switch
                {
                    "=" => x == bound,
                    "<" => x < bound,
                    "<=" => x <= bound,
                    ">" => x > bound,
                    _ => x >= bound,
                };
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        public override string ToString() => string.Join(' ', bounds.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Op} {b.Bound}")));
    }
}
