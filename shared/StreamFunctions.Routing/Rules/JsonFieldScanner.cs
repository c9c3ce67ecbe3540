using System.Diagnostics.CodeAnalysis;
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
    private readonly int _maxFrames;

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
            _maxFrames = Math.Max(_maxFrames, paths[i].Steps.Count + 1);
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
        Span<Frame> frames = stackalloc Frame[_maxFrames];
        var depth = 0;
        var pending = Root;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token == JsonTokenType.PropertyName)
                {
                    pending = Property(frames[depth - 1].Node, ref reader);
                    continue;
                }

                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    var frame = frames[--depth];
                    Record(frame.Node, frame.Start, (int)reader.BytesConsumed, values);
                    continue;
                }

                // A value: the root, an array element or a property's value.
                var node = depth == 0 ? Root
                    : frames[depth - 1].IsArray ? Element(frames[depth - 1].Node, frames[depth - 1].Next++)
                    : pending;
                var start = (int)reader.TokenStartIndex;
                if (node >= 0)
                {
                    // A repeated name replaces what its earlier value gave (the last one wins).
                    foreach (var target in _frozen[node].Subtree)
                    {
                        values[target] = default;
                    }
                }

                if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    if (node < 0 || !_frozen[node].HasChildren)
                    {
                        reader.Skip();
                        Record(node, start, (int)reader.BytesConsumed, values);
                    }
                    else
                    {
                        frames[depth++] = new Frame(node, start, token == JsonTokenType.StartArray);
                    }
                }
                else
                {
                    Record(node, start, (int)reader.BytesConsumed, values);
                }
            }
        }
        catch (JsonException e)
        {
            error = e.Message;
            return false;
        }

        error = null;
        return true;
    }

    private void Record(int node, int start, int end, Span<JsonValueSpan> values)
    {
        if (node < 0)
        {
            return;
        }

        foreach (var target in _frozen[node].Targets)
        {
            values[target] = new JsonValueSpan(start, end - start);
        }
    }

    private int Property(int node, ref Utf8JsonReader reader)
    {
        foreach (var (name, child) in _frozen[node].Properties)
        {
            if (reader.ValueIsEscaped ? reader.ValueTextEquals(name) : reader.ValueSpan.SequenceEqual(name))
            {
                return child;
            }
        }

        return -1;
    }

    private int Element(int node, int index)
    {
        if (node < 0)
        {
            return -1;
        }

        foreach (var (at, child) in _frozen[node].Elements)
        {
            if (at == index)
            {
                return child;
            }
        }

        return -1;
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

    private struct Frame(int node, int start, bool isArray)
    {
        public readonly int Node = node;
        public readonly int Start = start;
        public readonly bool IsArray = isArray;
        public int Next;
    }

    // Arrays, not lists: they are read for every token of every record.
    private sealed class Node
    {
        public int[] Targets { get; set; } = [];

        public int[] Subtree { get; set; } = [];

        public (byte[] Name, int Child)[] Properties { get; set; } = [];

        public (int Index, int Child)[] Elements { get; set; } = [];

        public bool HasChildren => Properties.Length > 0 || Elements.Length > 0;
    }
}
