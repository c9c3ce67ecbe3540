using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using StreamFunctions.Json;

namespace StreamFunctions.Transform;

/// <summary>
/// The partition-key sets of one batch, shared between records with the same key values: a batch has
/// thousands of records and usually a handful of key combinations, so each combination's dictionary (and
/// its strings) is built once and records refer to it, which also lets prefixes be rendered once per set.
/// </summary>
internal sealed class KeySetCache
{
    private const int MaxSets = 4096;
    private const int MaxComposite = 1024;
    private readonly Dictionary<byte[], IReadOnlyDictionary<string, string>> _sets = new(RawComparer.Instance);
    private readonly RecentEntries<(byte[] Composite, IReadOnlyDictionary<string, string> Set)> _recent = new();

    /// <summary>The set already built for these raw values, if any.</summary>
    /// <param name="record">The record the values are in.</param>
    /// <param name="values">The keys' raw values, in key order.</param>
    /// <param name="set">The set.</param>
    /// <returns>Whether there is one.</returns>
    public bool TryGet(ReadOnlySpan<byte> record, ReadOnlySpan<JsonValueSpan> values, [NotNullWhen(true)] out IReadOnlyDictionary<string, string>? set)
    {
        // A batch usually has a handful of combinations: they are compared in place, before any hashing.
        foreach (var recent in _recent.Entries)
        {
            if (Same(record, values, recent.Composite))
            {
                set = recent.Set;
                return true;
            }
        }

        set = null;
        var size = Size(values);
        if (size > MaxComposite)
        {
            return false;
        }

        Span<byte> composite = stackalloc byte[size];
        Compose(record, values, composite);
        if (!_sets.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(composite, out var kept, out set))
        {
            return false;
        }

        _recent.Remember((kept, set));
        return true;
    }

    /// <summary>Keeps the set built for these raw values (up to a bound).</summary>
    /// <param name="record">The record the values are in.</param>
    /// <param name="values">The keys' raw values, in key order.</param>
    /// <param name="set">The set.</param>
    public void Add(ReadOnlySpan<byte> record, ReadOnlySpan<JsonValueSpan> values, IReadOnlyDictionary<string, string> set)
    {
        var size = Size(values);
        if (_sets.Count < MaxSets && size <= MaxComposite)
        {
            var composite = new byte[size];
            Compose(record, values, composite);
            _sets[composite] = set;
            _recent.Remember((composite, set));
        }
    }

    // The values equal a composite: each one's length, then its bytes.
    private static bool Same(ReadOnlySpan<byte> record, ReadOnlySpan<JsonValueSpan> values, byte[] composite)
    {
        var at = 0;
        foreach (var value in values)
        {
            if (composite.Length - at < 4 + value.Length
                || BinaryPrimitives.ReadInt32LittleEndian(composite.AsSpan(at)) != value.Length
                || !value.Of(record).SequenceEqual(composite.AsSpan(at + 4, value.Length)))
            {
                return false;
            }

            at += 4 + value.Length;
        }

        return at == composite.Length;
    }

    private static int Size(ReadOnlySpan<JsonValueSpan> values)
    {
        var size = 0;
        foreach (var value in values)
        {
            size += 4 + value.Length;
        }

        return size;
    }

    // The values, each prefixed by its length.
    private static void Compose(ReadOnlySpan<byte> record, ReadOnlySpan<JsonValueSpan> values, Span<byte> composite)
    {
        var at = 0;
        foreach (var value in values)
        {
            BinaryPrimitives.WriteInt32LittleEndian(composite[at..], value.Length);
            value.Of(record).CopyTo(composite[(at + 4)..]);
            at += 4 + value.Length;
        }
    }

    private sealed class RawComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly RawComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode([DisallowNull] byte[] obj) => GetHashCode(obj.AsSpan());

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = default(HashCode);
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
