using System.Text.Json;

namespace StreamFunctions.Gateway;

/// <summary>
/// Reads a JSON value of a request body to its end, finding a name given twice in one of its objects (compared after
/// unescaping, so <c>"n\u0061me"</c> repeats <c>"name"</c>). Names are kept as slices of the body, not as strings:
/// a request's records mostly share their names, and their values are read anyway. The sets are kept per nesting
/// level and reused across the records of a request.
/// </summary>
internal sealed class UniqueNames
{
    // A set that held more names is replaced rather than cleared: clearing costs its capacity, and after one object
    // of 300,000 names, 300,000 objects of one name would each pay for it.
    private const int MaxReusedCount = 64;
    private readonly List<HashSet<ReadOnlyMemory<byte>>> _levels = [];

    /// <summary>Reads the value the reader is on (its first token) to its last token.</summary>
    /// <param name="reader">The reader over <paramref name="body"/>, on the value's first token.</param>
    /// <param name="body">The body the reader reads.</param>
    /// <returns>The body offset of the first name given twice in one object, or -1.</returns>
    public long Read(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return -1;
        }

        var depth = reader.CurrentDepth;
        var repeated = -1L;
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            Open(depth + 1);
        }

        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.EndObject or JsonTokenType.EndArray when reader.CurrentDepth == depth:
                    return repeated;
                case JsonTokenType.StartObject:
                    Open(reader.CurrentDepth + 1);
                    break;
                case JsonTokenType.PropertyName when repeated < 0 && !_levels[reader.CurrentDepth].Add(Name(ref reader, body)):
                    repeated = reader.TokenStartIndex;
                    break;
            }
        }

        return repeated;
    }

    /// <summary>Where the object holding a name is inside a value, as a JSON path (<c>$.a.b[1]</c>).</summary>
    /// <param name="value">The value's bytes.</param>
    /// <param name="nameOffset">The name's offset in <paramref name="value"/>.</param>
    /// <returns>The path.</returns>
    public static string PathOf(ReadOnlySpan<byte> value, long nameOffset)
    {
        // Each open container, with the member (object) or element index (array) being read in it.
        var open = new List<(bool IsArray, int Index, string? Name)>();
        var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = IngestRequestReader.MaxDepth });
        while (reader.Read() && !(reader.TokenType == JsonTokenType.PropertyName && reader.TokenStartIndex == nameOffset))
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    open[^1] = open[^1] with { Name = Text(ref reader) };
                    continue;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.RemoveAt(open.Count - 1);
                    continue;
            }

            if (open.Count > 0 && open[^1].IsArray)
            {
                open[^1] = open[^1] with { Index = open[^1].Index + 1 };
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                open.Add((reader.TokenType == JsonTokenType.StartArray, -1, null));
            }
        }

        // The innermost container is the object itself: its place is what its parents were reading.
        return "$" + string.Concat(open.Take(open.Count - 1).Select(c => c.IsArray ? $"[{c.Index}]" : "." + c.Name));
    }

    private static ReadOnlyMemory<byte> Name(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        if (!reader.ValueIsEscaped)
        {
            return body.Slice((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length);
        }

        var unescaped = new byte[reader.ValueSpan.Length];
        try
        {
            return unescaped.AsMemory(0, reader.CopyString(unescaped));
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate has no UTF-8 form: the name is compared as written.
            return reader.ValueSpan.ToArray();
        }
    }

    private static string Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
        }
    }

    // The names of an object starting at this level are new.
    private void Open(int level)
    {
        while (_levels.Count <= level)
        {
            _levels.Add(new HashSet<ReadOnlyMemory<byte>>(BytesComparer.Instance));
        }

        if (_levels[level].Count > MaxReusedCount)
        {
            _levels[level] = new HashSet<ReadOnlyMemory<byte>>(BytesComparer.Instance);
        }
        else
        {
            _levels[level].Clear();
        }
    }

    private sealed class BytesComparer : IEqualityComparer<ReadOnlyMemory<byte>>
    {
        public static readonly BytesComparer Instance = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<byte> obj)
        {
            var hash = default(HashCode);
            hash.AddBytes(obj.Span);
            return hash.ToHashCode();
        }
    }
}
