using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators;

/// <summary>
/// One byte range of a GET, as S3 serves it (RFC 9110's <c>Range: bytes=</c> with a single range): <c>first-last</c>,
/// <c>first-</c> or <c>-suffix</c>. A last position past the end is the end; a suffix longer than the object is the
/// whole object; numbers of any length are read without overflow (twenty nines are simply past the end).
/// </summary>
/// <param name="First">The first byte served.</param>
/// <param name="Last">The last byte served (inclusive).</param>
public readonly record struct S3ByteRange(long First, long Last)
{
    /// <summary>How many bytes the range serves.</summary>
    public long Length => Last - First + 1;

    /// <summary>The range a header asks of an object.</summary>
    /// <param name="header">The Range header's value.</param>
    /// <param name="objectLength">The object's size.</param>
    /// <returns>The range, within the object.</returns>
    /// <exception cref="S3RequestException"><c>InvalidRange</c> (416): not one byte range, or none of it lies in the object.</exception>
    public static S3ByteRange Parse(string header, long objectLength)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentOutOfRangeException.ThrowIfNegative(objectLength);
        var spec = header.StartsWith("bytes=", StringComparison.Ordinal) ? header.AsSpan(6) : [];
        var dash = spec.IndexOf('-');
        if (dash < 0 || (dash == 0 && spec.Length == 1) || !Digits(spec[..dash]) || !Digits(spec[(dash + 1)..]))
        {
            throw Unsatisfiable(header, objectLength);
        }

        long first, last;
        if (dash == 0)
        {
            var suffix = Number(spec[1..]);
            (first, last) = (objectLength - Math.Min(suffix, objectLength), objectLength - 1);
            if (suffix == 0)
            {
                throw Unsatisfiable(header, objectLength);
            }
        }
        else
        {
            first = Number(spec[..dash]);
            last = dash == spec.Length - 1 ? objectLength - 1 : Math.Min(Number(spec[(dash + 1)..]), objectLength - 1);
            if (dash < spec.Length - 1 && Number(spec[(dash + 1)..]) < first)
            {
                throw Unsatisfiable(header, objectLength);
            }
        }

        return first < objectLength && first <= last ? new S3ByteRange(first, last) : throw Unsatisfiable(header, objectLength);
    }

    private static bool Digits(ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange('0', '9');

    // Saturating: a number too large for a long is larger than any object.
    private static long Number(ReadOnlySpan<char> digits)
    {
        var value = 0L;
        foreach (var digit in digits)
        {
            value = value > (long.MaxValue - 9) / 10 ? long.MaxValue : (value * 10) + (digit - '0');
        }

        return value;
    }

    private static S3RequestException Unsatisfiable(string header, long objectLength) =>
        new(416, "InvalidRange", $"The requested range is not satisfiable: '{(header.Length <= 100 ? header : header[..100] + "…")}' of an object of {objectLength} bytes.");
}
