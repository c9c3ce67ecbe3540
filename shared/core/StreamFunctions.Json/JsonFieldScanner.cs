using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Json;

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

    // Per path node with named children, the names its objects had, in order, in the last record scanned: the
    // records of a stream mostly share their shape, and a name is compared with its guess before it is searched.
    // (An array beside the nodes rather than a property of each: read per name, it measured 164 against 173 ns.)
    private const int Guesses = 32;
    private readonly Guess?[]?[] _guesses;

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
        _guesses = [.. _frozen.Select(n => n.Properties.Length > 0 ? new Guess?[Guesses] : null)];
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
        var scan = new Scan(json, values, _frozen, _guesses);
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

    // One record's scan: a reader of RFC 8259 JSON that accepts exactly what Utf8JsonReader
    // (default options, MaxDepth 64) accepts — as it, it does not check that strings are valid UTF-8 — and
    // records the positions of the values the path tree asks for. Strings, the bulk of most records, are
    // crossed with one vectorized search for the next quote, backslash or control character.
    private ref struct Scan(ReadOnlySpan<byte> json, Span<JsonValueSpan> values, Node[] nodes, Guess?[]?[] guesses)
    {
        private readonly Guess?[]?[] _guesses = guesses;
        private readonly ReadOnlySpan<byte> _json = json;
        private readonly Span<JsonValueSpan> _values = values;
        private readonly Node[] _nodes = nodes;
        private int _at;

        public string? Error { get; private set; }

        // The reader is one loop over the tokens, not a function per grammar rule: the position stays in a
        // register, and a token costs no call. Open objects and arrays are kept on a small stack (their path
        // node, where they start, and for an array the index of the current element).
        [SkipLocalsInit] // the stack of open containers is written before it is read
        public bool Document()
        {
            ref var b0 = ref MemoryMarshal.GetReference(_json);
            var length = _json.Length;
            // Not stackalloc: a method with one is compiled once, fully but without the runtime's profile.
            Unsafe.SkipInit(out OpenStack openStack);
            Span<Open> stack = openStack;
            var depth = 0;
            var node = Root;

            // The innermost open object's name guesses and how many names it has had so far, kept in locals (saved
            // on its stack entry while a nested container is open): each name's guess is then one load away.
            Guess?[]? guesses = null;
            var names = 0;
            var reached = 0UL;
            var pos = SkipWhitespace(ref b0, 0, length);
            if (pos == length)
            {
                return Fail("the record is empty (no JSON value)");
            }

        Value:
            // A value starts at pos (no whitespace before it); node is its path node, or -1.
            if (pos == length)
            {
                return Fail("the record ends where a value should start");
            }

            var start = pos;
            if (node >= 0 && (node >= 64 || (reached & (1UL << node)) != 0))
            {
                // A repeated name replaces what its earlier value gave (the last one wins). The first time a
                // node is reached (nodes past 64 are not tracked), its paths have nothing to clear yet.
                foreach (var target in _nodes[node].Subtree)
                {
                    _values[target] = default;
                }
            }

            reached |= node is >= 0 and < 64 ? 1UL << node : 0;

            var c = Unsafe.Add(ref b0, pos);
            if (c == (byte)'"')
            {
                if (!String(ref b0, ref pos, length, out _))
                {
                    return false;
                }
            }
            else if (c is (byte)'{' or (byte)'[')
            {
                if (depth == MaxDepth)
                {
                    return Fail($"nesting deeper than the maximum depth of {MaxDepth} at byte {pos}");
                }

                var isObject = c == (byte)'{';
                if (depth > 0)
                {
                    stack[depth - 1].Names = names;
                }

                stack[depth++] = new Open(node, start, isObject ? -1 : 0);
                if (isObject)
                {
                    guesses = node >= 0 ? _guesses[node] : null;
                    names = 0;
                }

                pos = SkipWhitespace(ref b0, pos + 1, length);
                if (pos < length && Unsafe.Add(ref b0, pos) == (isObject ? (byte)'}' : (byte)']'))
                {
                    pos++;
                    goto Close;
                }

                if (isObject)
                {
                    goto Name;
                }

                node = Element(node, 0);
                goto Value;
            }
            else if ((c == (byte)'-' || (uint)(c - '0') <= 9) && NumberEnd(ref b0, pos, length) is var end and >= 0)
            {
                pos = end;
            }
            else
            {
                _at = pos;
                var ok = c switch
                {
                    (byte)'t' => Literal("true"u8),
                    (byte)'f' => Literal("false"u8),
                    (byte)'n' => Literal("null"u8),
                    (byte)'-' or (>= (byte)'0' and <= (byte)'9') => Number(),
                    _ => Fail($"{Describe(pos)} where a value should start"),
                };
                if (!ok)
                {
                    return false;
                }

                pos = _at;
            }

            Found(node, start, pos);

        After:
            // After a value: the end of the record at depth 0, else ',' or the closing bracket of the open container.
            pos = SkipWhitespace(ref b0, pos, length);
            if (depth == 0)
            {
                return pos == length || Fail($"{Describe(pos)} after the JSON value (one value per record)");
            }

            ref var open = ref stack[depth - 1];
            var close = open.Index < 0 ? (byte)'}' : (byte)']';
            if (pos < length)
            {
                c = Unsafe.Add(ref b0, pos);
                if (c == (byte)',')
                {
                    pos = SkipWhitespace(ref b0, pos + 1, length);
                    if (open.Index < 0)
                    {
                        goto Name;
                    }

                    node = Element(open.Node, ++open.Index);
                    goto Value;
                }

                if (c == close)
                {
                    pos++;
                    goto Close;
                }
            }

            return Fail($"{Describe(pos)} after a value, where ',' or '{(char)close}' should be");

        Close:
            // Past a closing bracket: the container is a value of its parent.
            depth--;
            Found(stack[depth].Node, stack[depth].Start, pos);
            if (depth > 0 && stack[depth - 1] is { Index: < 0 } parent)
            {
                guesses = parent.Node >= 0 ? _guesses[parent.Node] : null;
                names = parent.Names;
            }

            goto After;

        Name:
            // A property of the innermost open object: its name, ':', then its value.
            if (pos == length || Unsafe.Add(ref b0, pos) != (byte)'"')
            {
                return Fail($"{Describe(pos)} where a property name (a string) should start");
            }

            var guess = guesses is not null && (uint)names < (uint)guesses.Length ? guesses[names] : null;
            if (guess is not null && guess.Matches(ref b0, pos + 1, length))
            {
                // The name the object's previous record had at this place: its bytes (and closing quote) equal,
                // so it is the same valid string, leading to the same node. The next position does not wait
                // for the search of the name's end.
                node = guess.Child;
                pos += 1 + guess.Length;
            }
            else
            {
                var nameStart = pos + 1;
                if (!String(ref b0, ref pos, length, out var escaped))
                {
                    return false;
                }

                var objectNode = stack[depth - 1].Node;
                var properties = objectNode >= 0 ? _nodes[objectNode].Properties : [];
                node = properties.Length == 0 ? -1 : Property(properties, _json[nameStart..(pos - 1)], escaped);
                if (guesses is not null && (uint)names < (uint)guesses.Length && !escaped)
                {
                    // A new object, written whole (and immutable): a scan on another thread sees an old guess or this one.
                    guesses[names] = new Guess(_json[nameStart..pos].ToArray(), node);
                }
            }

            names++;
            pos = SkipWhitespace(ref b0, pos, length);
            if (pos == length || Unsafe.Add(ref b0, pos) != (byte)':')
            {
                return Fail($"{Describe(pos)} after a property name, where ':' should be");
            }

            pos = SkipWhitespace(ref b0, pos + 1, length);
            goto Value;
        }

        // The node an array's element leads to, or -1.
        private readonly int Element(int array, int index)
        {
            if (array >= 0)
            {
                foreach (var (at, next) in _nodes[array].Elements)
                {
                    if (at == index)
                    {
                        return next;
                    }
                }
            }

            return -1;
        }

        // A value of the path node was read from start to end: the paths that end at the node get it.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void Found(int node, int start, int end)
        {
            if (node >= 0)
            {
                foreach (var target in _nodes[node].Targets)
                {
                    _values[target] = new JsonValueSpan(start, end - start);
                }
            }
        }

        // A string from its opening quote at pos: the common case (no escape) in line, 32 bytes per step; a
        // backslash, a control character or the record's last bytes through the full reader.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool String(ref byte b0, ref int pos, int length, out bool escaped)
        {
            if (Vector256.IsHardwareAccelerated)
            {
                for (var at = pos + 1; at + Vector256<byte>.Count <= length; at += Vector256<byte>.Count)
                {
                    // The string's end is the first quote when no other stop comes before it: it does not wait for
                    // a second read of the byte found.
                    var (quotes, others) = Stops(ref b0, at);
                    if ((quotes | others) != 0)
                    {
                        if (quotes != 0 && (others & (quotes - 1)) == 0)
                        {
                            escaped = false;
                            pos = at + BitOperations.TrailingZeroCount(quotes) + 1;
                            return true;
                        }

                        break;
                    }
                }
            }

            _at = pos;
            if (!String(out escaped))
            {
                return false;
            }

            pos = _at;
            return true;
        }

        // Where a string may stop among the 32 bytes at pos, as bits (Vector256 only): its quotes, and the others
        // (backslashes and control characters).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static (uint Quotes, uint Others) Stops(ref byte b0, int pos)
        {
            var chunk = Vector256.LoadUnsafe(ref b0, (nuint)pos);
            return (Vector256.Equals(chunk, Vector256.Create((byte)'"')).ExtractMostSignificantBits(),
                (Vector256.Equals(chunk, Vector256.Create((byte)'\\')) | Vector256.LessThan(chunk, Vector256.Create((byte)0x20))).ExtractMostSignificantBits());
        }

        // A number from pos, in line: its end, or -1 when it is not one (Number then says why).
        // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, then a delimiter or the end.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int NumberEnd(ref byte b0, int pos, int length)
        {
            if (Unsafe.Add(ref b0, pos) == (byte)'-' && ++pos == length)
            {
                return -1;
            }

            if (Unsafe.Add(ref b0, pos) == (byte)'0')
            {
                pos++;
            }
            else
            {
                var first = pos;
                pos = DigitsEnd(ref b0, pos, length);
                if (pos == first)
                {
                    return -1;
                }
            }

            if (pos < length && Unsafe.Add(ref b0, pos) == (byte)'.')
            {
                var first = ++pos;
                pos = DigitsEnd(ref b0, pos, length);
                if (pos == first)
                {
                    return -1;
                }
            }

            if (pos < length && (Unsafe.Add(ref b0, pos) | 0x20) == (byte)'e')
            {
                if (++pos < length && Unsafe.Add(ref b0, pos) is (byte)'+' or (byte)'-')
                {
                    pos++;
                }

                var first = pos;
                pos = DigitsEnd(ref b0, pos, length);
                if (pos == first)
                {
                    return -1;
                }
            }

            return pos == length || IsDelimiter(Unsafe.Add(ref b0, pos)) ? pos : -1;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int DigitsEnd(ref byte b0, int pos, int length)
        {
            while (pos < length && (uint)(Unsafe.Add(ref b0, pos) - '0') <= 9)
            {
                pos++;
            }

            return pos;
        }

        // Whether the record has exactly these bytes at pos: a name's few bytes, in two overlapping compares.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static bool SameBytes(ref byte b0, int pos, int length, byte[] expected)
        {
            var n = expected.Length;
            if (n > length - pos)
            {
                return false;
            }

            ref var actual = ref Unsafe.Add(ref b0, pos);
            ref var wanted = ref MemoryMarshal.GetArrayDataReference(expected);
            if (n >= 8)
            {
                return n <= 16
                    ? Unsafe.ReadUnaligned<ulong>(ref actual) == Unsafe.ReadUnaligned<ulong>(ref wanted)
                        && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref actual, n - 8)) == Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref wanted, n - 8))
                    : MemoryMarshal.CreateReadOnlySpan(ref actual, n).SequenceEqual(expected);
            }

            if (n >= 4)
            {
                return Unsafe.ReadUnaligned<uint>(ref actual) == Unsafe.ReadUnaligned<uint>(ref wanted)
                    && Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref actual, n - 4)) == Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref wanted, n - 4));
            }

            return actual == wanted && Unsafe.Add(ref actual, n - 1) == Unsafe.Add(ref wanted, n - 1) && (n < 3 || Unsafe.Add(ref actual, 1) == Unsafe.Add(ref wanted, 1));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int SkipWhitespace(ref byte b0, int pos, int length)
        {
            if (pos < length && Unsafe.Add(ref b0, pos) > (byte)' ')
            {
                // Compact JSON: nothing to skip.
                return pos;
            }

            while (pos < length && Unsafe.Add(ref b0, pos) is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                pos++;
            }

            return pos;
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
                    var (quotes, others) = Stops(ref start, at);
                    var bits = quotes | others;
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
            if (escaped)
            {
                return EscapedProperty(properties, raw);
            }

            foreach (var (name, child) in properties)
            {
                // Length and first byte first: most names a record has are not the path's.
                if (name.Length == raw.Length && (raw.Length == 0 || name[0] == raw[0]) && raw.SequenceEqual(name))
                {
                    return child;
                }
            }

            return -1;
        }

        // Apart, because of its stackalloc: a method with one is compiled once, without the runtime's profile.
        private static int EscapedProperty((byte[] Name, int Child)[] properties, ReadOnlySpan<byte> raw)
        {
            var buffer = raw.Length <= 256 ? stackalloc byte[256] : new byte[raw.Length];
            return Unescape(raw, buffer, out var length) ? Property(properties, buffer[..length], escaped: false) : -1;
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

    [InlineArray(MaxDepth)]
    private struct OpenStack
    {
        private Open _first;
    }

    // An open object (Index -1) or array (Index: its current element) of a scan, with its path node and first byte.
    private struct Open(int node, int start, int index)
    {
        public readonly int Node = node;
        public readonly int Start = start;
        public int Index = index;
        public int Names;
    }

    // A property name an object of a path node had (its UTF-8 bytes and closing quote), and the node it leads to.
    // A name of up to 16 bytes is also kept as its first and last 8 bytes, so that it is compared with the record
    // by at most two reads of each, from this object alone.
    private sealed class Guess
    {
        private readonly ulong _head;
        private readonly ulong _tail;
        private readonly ulong _mask;

        public Guess(byte[] name, int child)
        {
            Name = name;
            Length = name.Length;
            Child = child;
            Span<byte> padded = stackalloc byte[16];
            name.AsSpan(0, Math.Min(name.Length, 16)).CopyTo(padded);
            _head = BinaryPrimitives.ReadUInt64LittleEndian(padded);
            _mask = name.Length >= 8 ? ulong.MaxValue : (1UL << (8 * name.Length)) - 1;
            _tail = name.Length is >= 8 and <= 16 ? BinaryPrimitives.ReadUInt64LittleEndian(name.AsSpan(name.Length - 8)) : 0;
        }

        public byte[] Name { get; }

        public int Length { get; }

        public int Child { get; }

        // Whether the record has exactly the name's bytes at pos.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Matches(ref byte b0, int pos, int length)
        {
            var n = Length;
            if (n <= 16 && length - pos >= 16)
            {
                ref var at = ref Unsafe.Add(ref b0, pos);
                return n <= 8
                    ? (Unsafe.ReadUnaligned<ulong>(ref at) & _mask) == _head
                    : Unsafe.ReadUnaligned<ulong>(ref at) == _head && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, n - 8)) == _tail;
            }

            return Scan.SameBytes(ref b0, pos, length, Name);
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
