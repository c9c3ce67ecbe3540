using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StreamFunctions.Windowing.Engine;

/// <summary>
/// Interns group keys as small dense ids, each with a state of the caller's kept beside the key's string (so
/// the lookup's check of the string and the caller's read of the state are one cache line). The table is grouped as
/// Swiss tables are: a group is one 64-byte cache line holding eight 32-bit tags (the key's hash) and the eight
/// ids; groups are probed in turn, a group's tags compared in one vector instruction, so a lookup seldom takes a
/// branch it cannot predict, touches one line of the table, and reads a key's string only when its tag matches.
/// </summary>
/// <remarks>
/// <para>Tag 0 marks an empty lane and tag 1 a deleted one (a lookup goes on past a full group only, so a lane
/// freed in a group that was full stays deleted until the next rebuild).</para>
/// <para>Keys are hashed with a multiply-fold over their UTF-16 code units under a seed drawn per instance, so
/// colliding keys cannot be chosen ahead of time. Should a probe run past <see cref="FloodProbe"/> groups anyway
/// (keys chosen by someone who can observe timings), the table rehashes everything with the runtime's
/// randomized string hash (Marvin), as .NET's <see cref="Dictionary{TKey,TValue}"/> does when its fast hash meets
/// collisions.</para>
/// </remarks>
internal sealed class KeyTable<TState>
    where TState : struct
{
    private const int Lanes = 8;
    private const int GroupInts = 2 * Lanes;
    private const int Empty = 0, Deleted = 1;
    private const int FloodProbe = 16;
    private const ulong Multiplier = 0x9E3779B97F4A7C15UL;
    private const ulong Secret1 = 0xA0761D6478BD642FUL, Secret2 = 0xE7037ED1A0B428DBUL;
    private readonly ulong _seed;
    private int[] _groups = [];
    private int _first;
    private int _mask;
    private Entry[] _entries = new Entry[32];
    private readonly Stack<int> _freeIds = new();
    private int _count;
    private int _used;
    private int _next;
    private bool _randomized;

    /// <summary>Creates an empty table.</summary>
    /// <param name="seed">The hash seed; a random one by default.</param>
    public KeyTable(ulong? seed = null)
    {
        _seed = seed ?? (ulong)Random.Shared.NextInt64();
        Rebuild(8);
    }


    /// <summary>Keys interned.</summary>
    public int Count => _count;

    /// <summary>Whether a probe ran so long that the table went over to the randomized string hash.</summary>
    public bool Randomized => _randomized;

    /// <summary>The key an id stands for.</summary>
    /// <param name="id">A live id.</param>
    /// <returns>The key.</returns>
    public string Name(int id) => _entries[id].Name!;

    /// <summary>The state kept for a key (a reference valid until the next key is interned).</summary>
    /// <param name="id">A live id.</param>
    /// <returns>The state.</returns>
    public ref TState State(int id) => ref _entries[id].State;

    /// <summary>The key's id, interning it if it is new.</summary>
    /// <param name="key">The key.</param>
    /// <param name="added">Whether the key was new (its id may be one an earlier key had).</param>
    /// <returns>The id.</returns>
    public int Intern(string key, out bool added) => Intern(key, Tag(key), out added);

    /// <summary>
    /// The key's id, interning it if it is new, from a hash <see cref="HashOf"/> took earlier (to prefetch the
    /// key's table line): a hash taken before the table went over to the randomized hash is taken again.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="hash">What <see cref="HashOf"/> gave for it.</param>
    /// <param name="added">Whether the key was new.</param>
    /// <returns>The id.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Intern(string key, KeyHash hash, out bool added) =>
        hash.Randomized == _randomized ? Intern(key, hash.Tag, out added) : Intern(key, out added);

    /// <summary>A key's hash, for <see cref="Prefetch(KeyHash)"/> and <see cref="Intern(string, KeyHash, out bool)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The hash.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public KeyHash HashOf(string key) => new(Tag(key), _randomized);

    /// <summary>
    /// Asks the core to bring the table line a key's lookup starts at into its cache, for a key that will be
    /// interned a few events later (a hint, as <see cref="Prefetch(string)"/>).
    /// </summary>
    /// <param name="hash">The key's hash.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(KeyHash hash)
    {
        if (Sse.IsSupported)
        {
            var group = Home(hash.Tag);
            Sse.Prefetch0(Unsafe.AsPointer(ref _groups[_first + (group * GroupInts)]));
        }
    }

    private int Intern(string key, int tag, out bool added)
    {
        var group = Home(tag);
        var insertAt = -1;
        ref var groups = ref MemoryMarshal.GetArrayDataReference(_groups);
        for (var probe = 0; ; probe++)
        {
            var at = _first + (group * GroupInts);
            var tags = Vector256.LoadUnsafe(ref groups, (nuint)at);
            var matches = Vector256.Equals(tags, Vector256.Create(tag)).ExtractMostSignificantBits();
            while (matches != 0)
            {
                var id = _groups[at + Lanes + BitOperations.TrailingZeroCount(matches)];
                var name = _entries[id].Name;
                if (ReferenceEquals(name, key) || string.Equals(name, key, StringComparison.Ordinal))
                {
                    added = false;
                    return id;
                }

                matches &= matches - 1;
            }

            if (insertAt < 0 && Vector256.Equals(tags, Vector256.Create(Deleted)).ExtractMostSignificantBits() is var deleted and not 0)
            {
                insertAt = at + BitOperations.TrailingZeroCount(deleted);
            }

            var empty = Vector256.Equals(tags, Vector256<int>.Zero).ExtractMostSignificantBits();
            if (empty != 0)
            {
                added = true;
                return Add(key, tag, insertAt >= 0 ? insertAt : at + BitOperations.TrailingZeroCount(empty));
            }

            if (probe == FloodProbe && !_randomized)
            {
                Randomize();
                return Intern(key, out added);
            }

            group = (group + 1) & _mask;
        }
    }

    /// <summary>
    /// Asks the core to bring a key's characters into its cache, for a key that will be interned a few events
    /// later: hashing it is then no wait on memory. A hint only: the address is read without pinning (a prefetch of
    /// a stale address does no harm), and where the core has no such instruction nothing happens.
    /// </summary>
    /// <param name="key">The key.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(string key)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref MemoryMarshal.GetReference(key.AsSpan())));
        }
    }

    /// <summary>Forgets a key: its id may be given to another.</summary>
    /// <param name="id">A live id.</param>
    public void Remove(int id)
    {
        var group = Home(_entries[id].Tag);
        while (true)
        {
            var at = _first + (group * GroupInts);
            for (var lane = at; lane < at + Lanes; lane++)
            {
                if ((uint)_groups[lane] > Deleted && _groups[lane + Lanes] == id)
                {
                    // A lookup goes on past a full group only: a lane of a group that has an empty one can be empty.
                    var full = Array.IndexOf(_groups, Empty, at, Lanes) < 0;
                    _groups[lane] = full ? Deleted : Empty;
                    _used -= full ? 0 : 1;
                    _entries[id] = default;
                    _freeIds.Push(id);
                    _count--;
                    return;
                }
            }

            group = (group + 1) & _mask;
        }
    }

    private int Add(string key, int tag, int lane)
    {
        if (!_freeIds.TryPop(out var id))
        {
            if (_next == _entries.Length)
            {
                Array.Resize(ref _entries, _next * 2);
            }

            id = _next++;
        }

        _entries[id] = new Entry { Name = key, Tag = tag };
        _count++;
        if (_groups[lane] == Empty)
        {
            _used++;
        }

        _groups[lane] = tag;
        _groups[lane + Lanes] = id;
        var lanes = (_mask + 1) * Lanes;
        if (_used * 4 > lanes * 3)
        {
            // Grow when the live keys fill more than half; otherwise only sweep the deleted lanes.
            Rebuild(_count * 2 > lanes ? (_mask + 1) * 2 : _mask + 1);
        }

        return id;
    }

    private void Randomize()
    {
        _randomized = true;
        for (var id = 0; id < _next; id++)
        {
            if (_entries[id].Name is { } name)
            {
                _entries[id].Tag = Tag(name);
            }
        }

        Rebuild(_mask + 1);
    }

    private void Rebuild(int groupCount)
    {
        // Pinned, so the groups can start on a cache line: each then fills exactly one.
        _groups = GC.AllocateArray<int>((groupCount * GroupInts) + GroupInts, pinned: true);
        _first = (int)((64 - (Marshal.UnsafeAddrOfPinnedArrayElement(_groups, 0) % 64)) % 64) / sizeof(int);
        _mask = groupCount - 1;
        _used = 0;
        for (var id = 0; id < _next; id++)
        {
            if (_entries[id].Name is null)
            {
                continue;
            }

            var group = Home(_entries[id].Tag);
            int lane;
            while ((lane = Array.IndexOf(_groups, Empty, _first + (group * GroupInts), Lanes)) < 0)
            {
                group = (group + 1) & _mask;
            }

            _groups[lane] = _entries[id].Tag;
            _groups[lane + Lanes] = id;
            _used++;
        }
    }

    // A key's tag: its hash, never Empty or Deleted.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Tag(string key) => Hash(key) | 2;

    // The group a tag's lookup starts at (the tag's low bits are left to tell keys of one group apart).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(int tag) => (int)((uint)tag >> 3) & _mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Hash(string key) => _randomized ? key.GetHashCode(StringComparison.Ordinal) : SeededHash(key, _seed);

    /// <summary>
    /// The table's fast hash of a key under a seed: wyhash-style, the key's bytes read as 64-bit words (the last
    /// ones overlapping) and folded in independent pairs, so a short key costs two or three multiplications that
    /// the core runs side by side.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The hash.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int SeededHash(ReadOnlySpan<char> key, ulong seed)
    {
        var bytes = MemoryMarshal.AsBytes(key);
        ref var at = ref MemoryMarshal.GetReference(bytes);
        var n = bytes.Length;
        ulong a, b, h = seed ^ ((ulong)n * Multiplier);
        if (n <= 16)
        {
            if (n >= 8)
            {
                a = Unsafe.ReadUnaligned<ulong>(ref at);
                b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, n - 8));
            }
            else if (n >= 4)
            {
                a = Unsafe.ReadUnaligned<uint>(ref at);
                b = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref at, n - 4));
            }
            else
            {
                a = n == 0 ? 0UL : Unsafe.ReadUnaligned<ushort>(ref at);
                b = 0;
            }
        }
        else
        {
            var offset = 0;
            for (; n - offset > 32; offset += 32)
            {
                h = Fold(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset)) ^ Secret1, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset + 8)) ^ h)
                    ^ Fold(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset + 16)) ^ Secret2, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset + 24)) ^ h);
            }

            // 17 to 32 bytes are left: the first 16 and the last 16 of them, overlapping.
            h ^= Fold(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset)) ^ Secret1, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, offset + 8)) ^ h);
            a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, n - 16));
            b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, n - 8));
        }

        return (int)Fold(Fold(a ^ Secret1, b ^ h) ^ Secret2, (ulong)n ^ seed ^ Multiplier);
    }

    // The 128-bit product's halves xor-ed together (wyhash's mixing step).
    private static ulong Fold(ulong a, ulong b)
    {
        var high = Math.BigMul(a, b, out var low);
        return high ^ low;
    }

    private struct Entry
    {
        public string? Name;
        public int Tag;
        public TState State;
    }
}

/// <summary>A key's hash as a <see cref="KeyTable{TState}"/> takes it, and which hash it is.</summary>
/// <param name="Tag">The hash, as the table's tags hold it.</param>
/// <param name="Randomized">Whether it is the randomized hash.</param>
internal readonly record struct KeyHash(int Tag, bool Randomized);
