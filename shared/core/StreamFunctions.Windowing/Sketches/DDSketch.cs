namespace StreamFunctions.Windowing.Sketches;

/// <summary>
/// A DDSketch quantile sketch (Masson, Rim, Lee: "DDSketch: a fast and fully-mergeable quantile sketch with
/// relative-error guarantees", VLDB 2019): values fall in logarithmic buckets of ratio γ = (1 + α) / (1 − α), so
/// every quantile it returns is within a relative error α of the exact quantile of the values seen
/// (α = 1% by default), whatever their distribution. Merging adds bucket counts, so a merged sketch answers
/// exactly as one that saw both inputs. Memory is bounded by <see cref="MaxBuckets"/> per sign: past it, the
/// lowest-magnitude buckets are collapsed, which only affects quantiles among those smallest values.
/// </summary>
public sealed class DDSketch
{
    /// <summary>The default relative accuracy.</summary>
    public const double DefaultRelativeAccuracy = 0.01;

    /// <summary>The default bucket bound per sign (covers values over more than 17 orders of magnitude at α = 1%).</summary>
    public const int DefaultMaxBuckets = 2048;

    /// <summary>Magnitudes below this count as zero.</summary>
    public const double MinIndexable = 1e-12;

    private readonly double _logGamma;
    private readonly Buckets _positive;
    private readonly Buckets _negative;

    /// <summary>Creates an empty sketch.</summary>
    /// <param name="relativeAccuracy">α, in (0, 1).</param>
    /// <param name="maxBuckets">The bucket bound per sign.</param>
    public DDSketch(double relativeAccuracy = DefaultRelativeAccuracy, int maxBuckets = DefaultMaxBuckets)
    {
        if (relativeAccuracy is <= 0 or >= 1 || double.IsNaN(relativeAccuracy))
        {
            throw new ArgumentOutOfRangeException(nameof(relativeAccuracy), relativeAccuracy, "The relative accuracy is between 0 and 1, e.g. 0.01.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxBuckets, 16);
        RelativeAccuracy = relativeAccuracy;
        MaxBuckets = maxBuckets;
        Gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
        _logGamma = Math.Log(Gamma);
        _positive = new Buckets(maxBuckets);
        _negative = new Buckets(maxBuckets);
    }

    /// <summary>α: every quantile is within this relative error.</summary>
    public double RelativeAccuracy { get; }

    /// <summary>γ, the ratio between consecutive buckets.</summary>
    public double Gamma { get; }

    /// <summary>The bucket bound per sign.</summary>
    public int MaxBuckets { get; }

    /// <summary>How many values were added.</summary>
    public long Count { get; private set; }

    /// <summary>How many values counted as zero.</summary>
    public long ZeroCount { get; private set; }

    /// <summary>The smallest value added (exact).</summary>
    public double Min { get; private set; } = double.PositiveInfinity;

    /// <summary>The largest value added (exact).</summary>
    public double Max { get; private set; } = double.NegativeInfinity;

    /// <summary>Adds a value.</summary>
    /// <param name="value">A finite number.</param>
    /// <param name="count">How many times.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite.</exception>
    public void Add(double value, long count = 1)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A quantile sketch takes finite numbers.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (value > MinIndexable)
        {
            _positive.Add(Index(value), count);
        }
        else if (value < -MinIndexable)
        {
            _negative.Add(Index(-value), count);
        }
        else
        {
            ZeroCount += count;
        }

        Count += count;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
    }

    /// <summary>Adds what <paramref name="other"/> has seen.</summary>
    /// <param name="other">A sketch of the same relative accuracy.</param>
    /// <exception cref="ArgumentException">The accuracies differ.</exception>
    public void Merge(DDSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Gamma != Gamma)
        {
            throw new ArgumentException($"Cannot merge a DDSketch of accuracy {other.RelativeAccuracy} into one of {RelativeAccuracy}.", nameof(other));
        }

        foreach (var (index, count) in other._positive.All())
        {
            _positive.Add(index, count);
        }

        foreach (var (index, count) in other._negative.All())
        {
            _negative.Add(index, count);
        }

        ZeroCount += other.ZeroCount;
        Count += other.Count;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The q-quantile: within <see cref="RelativeAccuracy"/> of the value of rank ⌊q·(n − 1)⌋ among those added.</summary>
    /// <param name="q">Between 0 and 1.</param>
    /// <returns>The estimate; NaN when empty.</returns>
    public double Quantile(double q)
    {
        if (q is < 0 or > 1 || double.IsNaN(q))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile is between 0 and 1.");
        }

        if (Count == 0)
        {
            return double.NaN;
        }

        var rank = q * (Count - 1);
        double result;
        long seen = 0;
        foreach (var (index, count) in _negative.Descending())
        {
            seen += count;
            if (seen > rank)
            {
                result = -Value(index);
                return Math.Clamp(result, Min, Max);
            }
        }

        seen += ZeroCount;
        if (seen > rank)
        {
            return 0;
        }

        foreach (var (index, count) in _positive.Ascending())
        {
            seen += count;
            if (seen > rank)
            {
                result = Value(index);
                return Math.Clamp(result, Min, Max);
            }
        }

        return Max;
    }

    /// <summary>The non-empty buckets (for saving the sketch): sign, bucket index, count.</summary>
    /// <returns>The buckets.</returns>
    public IEnumerable<(bool Negative, int Index, long Count)> SavedBuckets() =>
        _negative.All().Select(b => (true, b.Index, b.Count)).Concat(_positive.All().Select(b => (false, b.Index, b.Count)));

    /// <summary>Restores a saved sketch.</summary>
    /// <param name="relativeAccuracy">α.</param>
    /// <param name="buckets">From <see cref="SavedBuckets"/>.</param>
    /// <param name="zeroCount">Values that counted as zero.</param>
    /// <param name="min">The smallest value.</param>
    /// <param name="max">The largest value.</param>
    /// <param name="maxBuckets">The bucket bound.</param>
    /// <returns>The sketch.</returns>
    public static DDSketch Restore(double relativeAccuracy, IEnumerable<(bool Negative, int Index, long Count)> buckets, long zeroCount, double min, double max, int maxBuckets = DefaultMaxBuckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        var sketch = new DDSketch(relativeAccuracy, maxBuckets) { ZeroCount = zeroCount, Count = zeroCount, Min = min, Max = max };
        foreach (var (negative, index, count) in buckets)
        {
            if (count < 1)
            {
                throw new FormatException($"A DDSketch bucket count is at least 1, not {count}.");
            }

            (negative ? sketch._negative : sketch._positive).Add(index, count);
            sketch.Count += count;
        }

        return sketch;
    }

    private int Index(double magnitude) => (int)Math.Ceiling(Math.Log(magnitude) / _logGamma);

    // The bucket's representative: the value within relative error α of every value the bucket holds.
    private double Value(int index) => 2 * Math.Pow(Gamma, index) / (Gamma + 1);

    // Counts by bucket index in a dense array that grows both ways; past the bound the lowest buckets collapse.
    private sealed class Buckets(int maxBuckets)
    {
        private long[] _counts = [];
        private int _offset;

        public void Add(int index, long count)
        {
            if (_counts.Length == 0)
            {
                _counts = new long[16];
                _offset = index - 8;
            }

            if (index < _offset || index >= _offset + _counts.Length)
            {
                Grow(index);
                if (index < _offset)
                {
                    index = _offset;
                }
            }

            _counts[index - _offset] += count;
        }

        public IEnumerable<(int Index, long Count)> All() => Ascending();

        public IEnumerable<(int Index, long Count)> Ascending()
        {
            for (var i = 0; i < _counts.Length; i++)
            {
                if (_counts[i] != 0)
                {
                    yield return (i + _offset, _counts[i]);
                }
            }
        }

        public IEnumerable<(int Index, long Count)> Descending()
        {
            for (var i = _counts.Length - 1; i >= 0; i--)
            {
                if (_counts[i] != 0)
                {
                    yield return (i + _offset, _counts[i]);
                }
            }
        }

        private void Grow(int index)
        {
            var low = Math.Min(index, _offset);
            var high = Math.Max(index, _offset + _counts.Length - 1);
            if (high - low + 1 > maxBuckets)
            {
                // Keep the highest maxBuckets indexes; everything below folds into the lowest kept bucket.
                low = high - maxBuckets + 1;
            }

            var counts = new long[Math.Min(Math.Max((high - low + 1) * 2, 16), maxBuckets)];
            var newOffset = Math.Max(low - ((counts.Length - (high - low + 1)) / 2), high - counts.Length + 1);
            newOffset = Math.Min(newOffset, low);
            for (var i = 0; i < _counts.Length; i++)
            {
                if (_counts[i] != 0)
                {
                    var at = Math.Max(i + _offset, newOffset) - newOffset;
                    counts[at] += _counts[i];
                }
            }

            _counts = counts;
            _offset = newOffset;
        }
    }
}
