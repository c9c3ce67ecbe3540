namespace StreamFunctions.KinesisApi;

/// <summary>
/// Kinesis sequence numbers are decimal strings of up to 129 digits (its pattern is <c>0|([1-9]\d{0,128})</c>) that increase within a shard;
/// they compare as integers, not as strings ("9" &lt; "10").
/// </summary>
public static class SequenceNumbers
{
    /// <summary>The largest length Kinesis allows: its pattern <c>0|([1-9]\d{0,128})</c> is at most 129 digits.</summary>
    public const int MaxLength = 129;

    /// <summary>Compares two sequence numbers as non-negative integers.</summary>
    /// <returns>Negative, zero or positive as <paramref name="left"/> is less than, equal to or greater than <paramref name="right"/>.</returns>
    /// <exception cref="FormatException">Either is not a sequence number.</exception>
    public static int Compare(string left, string right)
    {
        var a = Trim(left);
        var b = Trim(right);
        if (a.Length != b.Length)
        {
            return a.Length.CompareTo(b.Length);
        }

        return a.SequenceCompareTo(b);
    }

    /// <summary>Whether <paramref name="value"/> is a sequence number: 1–129 decimal digits.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The smaller of two sequence numbers.</summary>
    public static string Min(string left, string right) => Compare(left, right) <= 0 ? left : right;

    /// <summary>The larger of two sequence numbers.</summary>
    public static string Max(string left, string right) => Compare(left, right) >= 0 ? left : right;

    private static ReadOnlySpan<char> Trim(string value)
    {
        if (!IsValid(value))
        {
            throw new FormatException($"'{value}' is not a Kinesis sequence number: expected 1 to {MaxLength} decimal digits.");
        }

        var span = value.AsSpan().TrimStart('0');
        return span.IsEmpty ? "0" : span;
    }
}
