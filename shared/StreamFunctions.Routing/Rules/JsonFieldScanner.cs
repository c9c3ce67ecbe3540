using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Routing.Rules;

/// <summary>Where one field's value is in a scanned record: its raw JSON (a string with its quotes), or not found.</summary>
/// <param name="Start">The value's first byte.</param>
/// <param name="Length">Its length in bytes; 0 when the record has no such field (a JSON value is never empty).</param>
public readonly record struct JsonValueSpan(int Start, int Length)
{
    /// <summary>Whether the record has the field.</summary>
    public bool Found => Length > 0;

    /// <summary>The value's raw JSON within the record.</summary>
    /// <param name="record">The scanned record.</param>
    /// <returns>The bytes; empty when not found.</returns>
    public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> record) => record.Slice(Start, Length);
}

/// <summary>
/// Finds several <see cref="FieldPath"/>s in a JSON record in one forward pass, without building a document:
/// the record is read (and so validated) to its end once, subtrees no path goes into are skipped, and each
/// path's value is returned as the position of its raw JSON. For transforms, partition keys and filters that
/// read a few fields of every record, this costs a fraction of parsing a <see cref="JsonDocument"/>.
/// </summary>
/// <remarks>
/// Resolution is the same as <see cref="FieldPath.TryResolve"/>: a name step matches an object's property
/// (compared after unescaping; when a name repeats, the last one wins, as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>),
/// an index step an array's element. A path may be given more than once.
/// </remarks>
public sealed class JsonFieldScanner
{
    /// <summary>The nesting a record may have, as for the documents routing parses.</summary>
    public const int MaxDepth = 64;

    private const int Root = 0;

    private readonly List<Node> _nodes = [new Node()];
    private readonly Node[] _frozen;

    /// <summary>Compiles the paths.</summary>
    /// <param name="paths">The paths; <see cref="TryScan"/> reports them in this order.</param>
    public JsonFieldScanner(IReadOnlyList<FieldPath> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        Count = paths.Count;
        for (var i = 0; i < paths.Count; i++)
        {
            var node = Root;
            _nodes[Root].Subtree = [.. _nodes[Root].Subtree, i];
            foreach (var step in paths[i].Steps)
            {
                node = step is string name ? Child(node, Encoding.UTF8.GetBytes(name), -1) : Child(node, null, (int)step);
                _nodes[node].Subtree = [.. _nodes[node].Subtree, i];
            }

            _nodes[node].Targets = [.. _nodes[node].Targets, i];
        }

        _frozen = [.. _nodes];
    }

    /// <summary>How many paths a scan reports.</summary>
    public int Count { get; }

    /// <summary>Reads a record and locates every path's value.</summary>
    /// <param name="json">The record (UTF-8 JSON).</param>
    /// <param name="values">At least <see cref="Count"/> slots: slot <c>i</c> gets path <c>i</c>'s value, or not found.</param>
    /// <param name="error">Why the record is not JSON.</param>
    /// <returns>False when the record is not one well-formed JSON value (at most <see cref="MaxDepth"/> deep).</returns>
    public bool TryScan(ReadOnlySpan<byte> json, Span<JsonValueSpan> values, [NotNullWhen(false)] out string? error)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(values.Length, Count);
        values[..Count].Clear();
        var scan = new Scan(json, values, _frozen);
        if (!scan.Document())
        {
            error = scan.Error ?? "Not JSON.";
            return false;
        }

        error = null;
        return true;
    }

    private int Child(int node, byte[]? name, int index)
    {
        var parent = _nodes[node];
        foreach (var (existing, child) in parent.Properties)
        {
            if (name is not null && existing.AsSpan().SequenceEqual(name))
            {
                return child;
            }
        }

        foreach (var (at, child) in parent.Elements)
        {
            if (name is null && at == index)
            {
                return child;
            }
        }

        _nodes.Add(new Node());
        var added = _nodes.Count - 1;
        if (name is not null)
        {
            parent.Properties = [.. parent.Properties, (name, added)];
        }
        else
        {
            parent.Elements = [.. parent.Elements, (index, added)];
        }

        return added;
    }

    // One record's scan: a recursive-descent reader of RFC 8259 JSON that accepts exactly what Utf8JsonReader
    // (default options, MaxDepth 64) accepts — as it, it does not check that strings are valid UTF-8 — and
    // records the positions of the values the path tree asks for. Strings, the bulk of most records, are
    // crossed with one vectorized search for the next quote, backslash or control character.
    private ref struct Scan(ReadOnlySpan<byte> json, Span<JsonValueSpan> values, Node[] nodes)
    {
        private readonly ReadOnlySpan<byte> _json = json;
        private readonly Span<JsonValueSpan> _values = values;
        private readonly Node[] _nodes = nodes;
        private int _at;

        public string? Error { get; private set; }

        public bool Document()
        {
            SkipWhitespace();
            if (_at == _json.Length)
            {
                return Fail("the record is empty (no JSON value)");
            }

            if (!Value(Root, 0))
            {
                return false;
            }

            SkipWhitespace();
            return _at == _json.Length || Fail($"{Describe(_at)} after the JSON value (one value per record)");
        }

        private bool Value(int node, int depth)
        {
            if (_at == _json.Length)
            {
                return Fail("the record ends where a value should start");
            }

            var start = _at;
            if (node >= 0)
            {
                // A repeated name replaces what its earlier value gave (the last one wins).
                foreach (var target in _nodes[node].Subtree)
                {
                    _values[target] = default;
                }
            }

            bool ok;
            switch (_json[_at])
            {
                case (byte)'{':
                    ok = Object(node, depth + 1);
                    break;
                case (byte)'[':
                    ok = Array(node, depth + 1);
                    break;
                case (byte)'"':
                    ok = String(out _);
                    break;
                case (byte)'t':
                    ok = Literal("true"u8);
                    break;
                case (byte)'f':
                    ok = Literal("false"u8);
                    break;
                case (byte)'n':
                    ok = Literal("null"u8);
                    break;
                case (byte)'-' or (>= (byte)'0' and <= (byte)'9'):
                    ok = Number();
                    break;
                default:
                    return Fail($"{Describe(_at)} where a value should start");
            }

            if (ok && node >= 0)
            {
                foreach (var target in _nodes[node].Targets)
                {
                    _values[target] = new JsonValueSpan(start, _at - start);
                }
            }

            return ok;
        }

        private bool Object(int node, int depth)
        {
            if (!Open(depth, (byte)'}', out var empty) || empty)
            {
                // Failed (the error is set), or empty: nothing more to read.
                return Error is null;
            }

            var properties = node >= 0 ? _nodes[node].Properties : [];
            while (true)
            {
                if (!At((byte)'"'))
                {
                    return Fail($"{Describe(_at)} where a property name (a string) should start");
                }

                var nameStart = _at + 1;
                if (!String(out var escaped))
                {
                    return false;
                }

                var child = properties.Length == 0 ? -1 : Property(properties, _json[nameStart..(_at - 1)], escaped);
                SkipWhitespace();
                if (!At((byte)':'))
                {
                    return Fail($"{Describe(_at)} after a property name, where ':' should be");
                }

                _at++;
                SkipWhitespace();
                if (!Member(child, depth, (byte)'}', out var closed) || closed)
                {
                    return Error is null;
                }
            }
        }

        private bool Array(int node, int depth)
        {
            if (!Open(depth, (byte)']', out var empty) || empty)
            {
                // Failed (the error is set), or empty: nothing more to read.
                return Error is null;
            }

            var elements = node >= 0 ? _nodes[node].Elements : [];
            for (var index = 0; ; index++)
            {
                var child = -1;
                foreach (var (at, next) in elements)
                {
                    if (at == index)
                    {
                        child = next;
                        break;
                    }
                }

                if (!Member(child, depth, (byte)']', out var closed) || closed)
                {
                    return Error is null;
                }
            }
        }

        // A property's value or an array's element, then ',' (another follows) or the closing bracket.
        private bool Member(int child, int depth, byte close, out bool closed)
        {
            closed = false;
            if (!Value(child, depth))
            {
                return false;
            }

            SkipWhitespace();
            if (At((byte)','))
            {
                _at++;
                SkipWhitespace();
                return true;
            }

            if (At(close))
            {
                _at++;
                closed = true;
                return true;
            }

            return Fail($"{Describe(_at)} after a value, where ',' or '{(char)close}' should be");
        }

        // Past an object's or array's opening bracket; empty when the closing one follows (and is passed too).
        private bool Open(int depth, byte close, out bool empty)
        {
            empty = false;
            if (depth > MaxDepth)
            {
                return Fail($"nesting deeper than the maximum depth of {MaxDepth} at byte {_at}");
            }

            _at++;
            SkipWhitespace();
            if (At(close))
            {
                _at++;
                empty = true;
            }

            return true;
        }

        // From the opening quote to just past the closing one.
        private bool String(out bool escaped)
        {
            escaped = false;
            _at++;
            while (true)
            {
                if (!NextStringStop())
                {
                    return Fail("the record ends inside a string");
                }

                var b = _json[_at];
                if (b == (byte)'"')
                {
                    _at++;
                    return true;
                }

                if (b < 0x20)
                {
                    return Fail($"control character 0x{b:X2} inside a string at byte {_at} (it must be escaped)");
                }

                // A backslash: one escape.
                escaped = true;
                if (_at + 1 == _json.Length)
                {
                    return Fail("the record ends inside a string");
                }

                var e = _json[_at + 1];
                if (e == (byte)'u')
                {
                    if (_at + 6 > _json.Length)
                    {
                        return Fail("the record ends inside a \\u escape");
                    }

                    for (var h = _at + 2; h < _at + 6; h++)
                    {
                        if (!char.IsAsciiHexDigit((char)_json[h]))
                        {
                            return Fail($"{Describe(h)} in a \\u escape, where a hex digit should be");
                        }
                    }

                    _at += 6;
                }
                else if (e is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')
                {
                    _at += 2;
                }
                else
                {
                    return Fail($"{Describe(_at + 1)} after a backslash in a string (not an escape)");
                }
            }
        }

        // Moves to the next quote, backslash or control character: 32 bytes per step with one vector compare
        // (most strings end in their first step), the record's last bytes one at a time.
        // (The position is kept in a local: the struct's field lives in memory, and a loop that moves it there
        // waits on its own stores.)
        private bool NextStringStop()
        {
            ref var start = ref MemoryMarshal.GetReference(_json);
            var at = _at;
            if (Vector256.IsHardwareAccelerated)
            {
                while (at + Vector256<byte>.Count <= _json.Length)
                {
                    var chunk = Vector256.LoadUnsafe(ref start, (nuint)at);
                    var stops = Vector256.Equals(chunk, Vector256.Create((byte)'"'))
                        | Vector256.Equals(chunk, Vector256.Create((byte)'\\'))
                        | Vector256.LessThan(chunk, Vector256.Create((byte)0x20));
                    var bits = stops.ExtractMostSignificantBits();
                    if (bits != 0)
                    {
                        _at = at + BitOperations.TrailingZeroCount(bits);
                        return true;
                    }

                    at += Vector256<byte>.Count;
                }
            }

            for (; at < _json.Length; at++)
            {
                if (_json[at] is (byte)'"' or (byte)'\\' or < 0x20)
                {
                    _at = at;
                    return true;
                }
            }

            _at = at;
            return false;
        }

        // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, then a delimiter.
        private bool Number()
        {
            if (At((byte)'-'))
            {
                _at++;
            }

            if (At((byte)'0'))
            {
                _at++;
                if (_at < _json.Length && char.IsAsciiDigit((char)_json[_at]))
                {
                    return Fail($"a leading zero before a digit at byte {_at}");
                }
            }
            else if (!Digits())
            {
                return false;
            }

            if (At((byte)'.'))
            {
                _at++;
                if (!Digits())
                {
                    return false;
                }
            }

            if (At((byte)'e') || At((byte)'E'))
            {
                _at++;
                if (At((byte)'+') || At((byte)'-'))
                {
                    _at++;
                }

                if (!Digits())
                {
                    return false;
                }
            }

            return _at == _json.Length || IsDelimiter(_json[_at]) || Fail($"{Describe(_at)} at the end of a number");
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Digits()
        {
            var first = _at;
            var at = first;
            while (at < _json.Length && char.IsAsciiDigit((char)_json[at]))
            {
                at++;
            }

            _at = at;
            return at > first || Fail(_at == _json.Length ? "the record ends inside a number" : $"{Describe(_at)} in a number, where a digit should be");
        }

        private bool Literal(ReadOnlySpan<byte> literal)
        {
            if (!_json[_at..].StartsWith(literal))
            {
                return Fail($"{Describe(_at)}: not the literal '{Encoding.ASCII.GetString(literal)}'");
            }

            _at += literal.Length;
            return _at == _json.Length || IsDelimiter(_json[_at]) || Fail($"{Describe(_at)} right after '{Encoding.ASCII.GetString(literal)}'");
        }

        private static bool IsDelimiter(byte b) => b is (byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

        private readonly bool At(byte b) => _at < _json.Length && _json[_at] == b;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void SkipWhitespace()
        {
            if (_at < _json.Length && _json[_at] > (byte)' ')
            {
                // Compact JSON: nothing to skip.
                return;
            }

            var at = _at;
            while (at < _json.Length && _json[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                at++;
            }

            _at = at;
        }

        private readonly string Describe(int at) => at >= _json.Length
            ? "the end of the record"
            : _json[at] is >= 0x20 and < 0x7F ? $"'{(char)_json[at]}' at byte {at}" : $"byte 0x{_json[at]:X2} at byte {at}";

        private bool Fail(string reason)
        {
            Error = $"Not JSON: {reason}.";
            return false;
        }

        // The child a property leads to: its name compared raw, or unescaped when it has escapes.
        private static int Property((byte[] Name, int Child)[] properties, ReadOnlySpan<byte> raw, bool escaped)
        {
            scoped var text = raw;
            if (escaped)
            {
                var buffer = raw.Length <= 256 ? stackalloc byte[256] : new byte[raw.Length];
                if (!Unescape(raw, buffer, out var length))
                {
                    return -1;
                }

                text = buffer[..length];
            }

            foreach (var (name, child) in properties)
            {
                // Length and first byte first: most names a record has are not the path's.
                if (name.Length == text.Length && (text.Length == 0 || name[0] == text[0]) && text.SequenceEqual(name))
                {
                    return child;
                }
            }

            return -1;
        }

        // A name's escapes turned into UTF-8 (never longer than the escaped form); false for a lone surrogate.
        private static bool Unescape(ReadOnlySpan<byte> raw, Span<byte> into, out int length)
        {
            length = 0;
            for (var i = 0; i < raw.Length; i++)
            {
                if (raw[i] != (byte)'\\')
                {
                    into[length++] = raw[i];
                    continue;
                }

                var e = raw[++i];
                if (e != (byte)'u')
                {
                    into[length++] = e switch { (byte)'b' => 8, (byte)'f' => 12, (byte)'n' => 10, (byte)'r' => 13, (byte)'t' => 9, _ => e };
                    continue;
                }

                int code = Hex(raw.Slice(i + 1, 4));
                i += 4;
                if (char.IsHighSurrogate((char)code) && i + 6 < raw.Length && raw[i + 1] == (byte)'\\' && raw[i + 2] == (byte)'u'
                    && Hex(raw.Slice(i + 3, 4)) is var low && char.IsLowSurrogate((char)low))
                {
                    code = char.ConvertToUtf32((char)code, (char)low);
                    i += 6;
                }
                else if (char.IsSurrogate((char)code))
                {
                    return false;
                }

                length += new Rune(code).EncodeToUtf8(into[length..]);
            }

            return true;
        }

        private static int Hex(ReadOnlySpan<byte> digits)
        {
            var value = 0;
            foreach (var d in digits)
            {
                value = (value << 4) | (d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
            }

            return value;
        }
    }

    // Arrays, not lists: they are read for every token of every record.
    private sealed class Node
    {
        public int[] Targets { get; set; } = [];

        public int[] Subtree { get; set; } = [];

        public (byte[] Name, int Child)[] Properties { get; set; } = [];

        public (int Index, int Child)[] Elements { get; set; } = [];
    }
}
