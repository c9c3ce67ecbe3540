using System.Runtime.CompilerServices;

namespace StreamFunctions.Windowing.Engine;

/// <summary>
/// Where a numeric column's fields sit in a slot's row of accumulators (-1: no aggregate reads it): a column
/// holds only the fields its aggregates read, so count + sum is a 16-byte row.
/// </summary>
internal readonly record struct RowLayout(int Count, int Sum, int Min, int Max)
{
    public static (RowLayout[] Columns, int Stride) Of(AggregationSpec spec)
    {
        var columns = new RowLayout[spec.NumericColumns];
        var stride = 1;
        for (var c = 0; c < columns.Length; c++)
        {
            var reads = spec.Aggregates.Where(a => a.IsNumeric && a.Column == c).Select(a => a.Function).ToHashSet();
            int count = -1, sum = -1, min = -1, max = -1;
            if (reads.Contains(AggregateFunction.Avg) || reads.Contains(AggregateFunction.Min) || reads.Contains(AggregateFunction.Max))
            {
                count = stride++;
            }

            if (reads.Contains(AggregateFunction.Sum) || reads.Contains(AggregateFunction.Avg))
            {
                sum = stride++;
            }

            if (reads.Contains(AggregateFunction.Min))
            {
                min = stride++;
            }

            if (reads.Contains(AggregateFunction.Max))
            {
                max = stride++;
            }

            columns[c] = new RowLayout(count, sum, min, max);
        }

        return (columns, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(Span<double> row, double v)
    {
        if (Count >= 0)
        {
            row[Count]++;
        }

        if (Sum >= 0)
        {
            row[Sum] += v;
        }

        if (Min >= 0)
        {
            row[Min] = v < row[Min] ? v : row[Min];
        }

        if (Max >= 0)
        {
            row[Max] = v > row[Max] ? v : row[Max];
        }
    }

    public void Merge(Span<double> into, Span<double> from)
    {
        if (Count >= 0)
        {
            into[Count] += from[Count];
        }

        if (Sum >= 0)
        {
            into[Sum] += from[Sum];
        }

        if (Min >= 0)
        {
            into[Min] = Math.Min(into[Min], from[Min]);
        }

        if (Max >= 0)
        {
            into[Max] = Math.Max(into[Max], from[Max]);
        }
    }

    public void Reset(Span<double> row) => Restore(row, 0, 0, double.PositiveInfinity, double.NegativeInfinity);

    public void Restore(Span<double> row, long count, double sum, double min, double max)
    {
        if (Count >= 0)
        {
            row[Count] = count;
        }

        if (Sum >= 0)
        {
            row[Sum] = sum;
        }

        if (Min >= 0)
        {
            row[Min] = min;
        }

        if (Max >= 0)
        {
            row[Max] = max;
        }
    }
}
