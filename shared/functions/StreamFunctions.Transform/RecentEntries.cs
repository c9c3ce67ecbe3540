namespace StreamFunctions.Transform;

/// <summary>
/// The last few entries of a batch's lookup (key sets, prefixes, partition buffers), compared in place before the
/// lookup hashes anything: a batch's records mostly share a handful of them. The oldest is replaced first.
/// </summary>
/// <typeparam name="T">An entry.</typeparam>
internal sealed class RecentEntries<T>
{
    private readonly T[] _entries = new T[8];
    private int _count;
    private int _next;

    /// <summary>The entries kept, in no particular order.</summary>
    public ReadOnlySpan<T> Entries => _entries.AsSpan(0, _count);

    /// <summary>Keeps an entry, in place of the oldest when all places are taken.</summary>
    /// <param name="entry">The entry.</param>
    public void Remember(T entry)
    {
        _entries[_next] = entry;
        _next = (_next + 1) % _entries.Length;
        _count = Math.Min(_count + 1, _entries.Length);
    }
}
