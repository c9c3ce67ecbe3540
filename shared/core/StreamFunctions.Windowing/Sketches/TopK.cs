namespace StreamFunctions.Windowing.Sketches;

/// <summary>One heavy hitter: an item, its estimated count, and how much of that may be overestimation.</summary>
/// <param name="Item">The item.</param>
/// <param name="Count">Its estimated count (never below the true count).</param>
/// <param name="Error">The most the estimate can exceed the true count: the true count is in [Count − Error, Count].</param>
public readonly record struct HeavyHitter(string Item, long Count, long Error);

/// <summary>
/// Top-k by the Space-Saving algorithm (Metwally, Agrawal, El Abbadi 2005) with <see cref="Capacity"/> counters:
/// every item whose true count exceeds N / capacity is kept, and each estimate exceeds the true count by at
/// most its <see cref="HeavyHitter.Error"/> ≤ N / capacity (N = items added). Mergeable as in Cafaro et al.
/// ("Parallel Space Saving", 2016): counts add, an item missing from a full sketch is charged that sketch's
/// minimum count, and the largest capacity counters are kept, which preserves the N / capacity bound.
/// </summary>
public sealed class TopK
{
    private readonly Dictionary<string, (long Count, long Error)> _counters = new(StringComparer.Ordinal);
    private readonly SortedSet<(long Count, string Item)> _byCount = new(Comparer<(long Count, string Item)>.Create((a, b) => a.Count != b.Count ? a.Count.CompareTo(b.Count) : string.CompareOrdinal(a.Item, b.Item)));

    /// <summary>Creates an empty sketch.</summary>
    /// <param name="capacity">Counters kept (≥ the k asked for; more counters, smaller error).</param>
    public TopK(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Counters kept.</summary>
    public int Capacity { get; }

    /// <summary>Items added.</summary>
    public long Total { get; private set; }

    /// <summary>Adds an item.</summary>
    /// <param name="item">The item.</param>
    /// <param name="count">How many times.</param>
    public void Add(string item, long count = 1)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Total += count;
        if (_counters.TryGetValue(item, out var counter))
        {
            Set(item, counter, (counter.Count + count, counter.Error));
        }
        else if (_counters.Count < Capacity)
        {
            Set(item, null, (count, 0));
        }
        else
        {
            // Replace the smallest counter: the new item inherits its count as possible overestimation.
            var (minCount, minItem) = _byCount.Min;
            _byCount.Remove((minCount, minItem));
            _counters.Remove(minItem);
            Set(item, null, (minCount + count, minCount));
        }
    }

    /// <summary>Adds what <paramref name="other"/> has seen.</summary>
    /// <param name="other">Another sketch (its capacity may differ; this one's is kept).</param>
    public void Merge(TopK other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var minThis = _counters.Count >= Capacity ? _byCount.Min.Count : 0;
        var minOther = other._counters.Count >= other.Capacity ? other._byCount.Min.Count : 0;
        var merged = new Dictionary<string, (long Count, long Error)>(StringComparer.Ordinal);
        foreach (var (item, (count, error)) in _counters)
        {
            merged[item] = other._counters.TryGetValue(item, out var o) ? (count + o.Count, error + o.Error) : (count + minOther, error + minOther);
        }

        foreach (var (item, (count, error)) in other._counters)
        {
            if (!merged.ContainsKey(item))
            {
                merged[item] = (count + minThis, error + minThis);
            }
        }

        _counters.Clear();
        _byCount.Clear();
        foreach (var (item, counter) in merged.OrderByDescending(m => m.Value.Count).ThenBy(m => m.Key, StringComparer.Ordinal).Take(Capacity))
        {
            Set(item, null, counter);
        }

        Total += other.Total;
    }

    /// <summary>The k items with the highest estimated counts, highest first (ties by item, ordinal).</summary>
    /// <param name="k">How many.</param>
    /// <returns>The heavy hitters.</returns>
    public IReadOnlyList<HeavyHitter> Top(int k) =>
        [.. _counters.OrderByDescending(c => c.Value.Count).ThenBy(c => c.Key, StringComparer.Ordinal).Take(k).Select(c => new HeavyHitter(c.Key, c.Value.Count, c.Value.Error))];

    /// <summary>Every counter (for saving the sketch).</summary>
    /// <returns>The counters.</returns>
    public IReadOnlyList<HeavyHitter> Counters() => Top(Capacity);

    /// <summary>Restores a saved sketch.</summary>
    /// <param name="capacity">Counters kept.</param>
    /// <param name="total">Items added.</param>
    /// <param name="counters">From <see cref="Counters"/>.</param>
    /// <returns>The sketch.</returns>
    public static TopK Restore(int capacity, long total, IEnumerable<HeavyHitter> counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var sketch = new TopK(capacity) { Total = total };
        foreach (var c in counters)
        {
            if (sketch._counters.Count == capacity || c.Count < 1 || c.Error < 0 || c.Error > c.Count || sketch._counters.ContainsKey(c.Item))
            {
                throw new FormatException($"A saved top-k holds at most {capacity} distinct items with 0 ≤ error ≤ count; '{c.Item}' ({c.Count}, {c.Error}) does not fit.");
            }

            sketch.Set(c.Item, null, (c.Count, c.Error));
        }

        return sketch;
    }

    private void Set(string item, (long Count, long Error)? old, (long Count, long Error) counter)
    {
        if (old is { } o)
        {
            _byCount.Remove((o.Count, item));
        }

        _counters[item] = counter;
        _byCount.Add((counter.Count, item));
    }
}
