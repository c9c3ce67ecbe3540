using StreamFunctions.KinesisApi;

namespace StreamFunctions.Local.Leases;

/// <summary>
/// A checkpoint as KCL stores it: a sequence number (or one of KCL's sentinels) and a sub-sequence
/// number for records inside a KPL-aggregated record. Ordered as KCL orders them: AT_TIMESTAMP,
/// TRIM_HORIZON and LATEST before every sequence number, SHARD_END after all.
/// </summary>
/// <param name="SequenceNumber">Decimal digits, or TRIM_HORIZON, LATEST, AT_TIMESTAMP, SHARD_END.</param>
/// <param name="SubSequenceNumber">The user record's index inside an aggregated record; 0 when not aggregated.</param>
public readonly record struct ExtendedSequenceNumber(string SequenceNumber, long SubSequenceNumber = 0) : IComparable<ExtendedSequenceNumber>
{
    /// <summary>KCL's sentinel: start at the oldest record.</summary>
    public static ExtendedSequenceNumber TrimHorizon { get; } = new("TRIM_HORIZON");

    /// <summary>KCL's sentinel: start after the newest record.</summary>
    public static ExtendedSequenceNumber Latest { get; } = new("LATEST");

    /// <summary>KCL's sentinel: start at a timestamp.</summary>
    public static ExtendedSequenceNumber AtTimestamp { get; } = new("AT_TIMESTAMP");

    /// <summary>KCL's sentinel: the shard is closed and every record was processed.</summary>
    public static ExtendedSequenceNumber ShardEnd { get; } = new("SHARD_END");

    /// <summary>Whether this is one of the sentinels rather than a sequence number.</summary>
    public bool IsSentinel => SentinelRank(SequenceNumber) is not null;

    /// <summary>Whether this is SHARD_END.</summary>
    public bool IsShardEnd => SequenceNumber == ShardEnd.SequenceNumber;

    /// <summary>Whether a value is a sequence number or a sentinel, with a non-negative sub-sequence number.</summary>
    /// <param name="value">The value.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValid(ExtendedSequenceNumber value) =>
        value.SequenceNumber is not null
        && value.SubSequenceNumber >= 0
        && (SentinelRank(value.SequenceNumber) is not null || SequenceNumbers.IsValid(value.SequenceNumber));

    /// <inheritdoc />
    public int CompareTo(ExtendedSequenceNumber other)
    {
        var left = SentinelRank(SequenceNumber);
        var right = SentinelRank(other.SequenceNumber);
        if (left is not null || right is not null)
        {
            // A sequence number ranks 0: after the start sentinels, before SHARD_END.
            return (left ?? 0).CompareTo(right ?? 0);
        }

        var bySequence = SequenceNumbers.Compare(SequenceNumber, other.SequenceNumber);
        return bySequence != 0 ? bySequence : SubSequenceNumber.CompareTo(other.SubSequenceNumber);
    }

    /// <inheritdoc />
    public override string ToString() => SubSequenceNumber == 0 ? SequenceNumber : $"{SequenceNumber}.{SubSequenceNumber}";

    /// <summary>Less than.</summary>
    public static bool operator <(ExtendedSequenceNumber left, ExtendedSequenceNumber right) => left.CompareTo(right) < 0;

    /// <summary>Greater than.</summary>
    public static bool operator >(ExtendedSequenceNumber left, ExtendedSequenceNumber right) => left.CompareTo(right) > 0;

    /// <summary>Less than or equal.</summary>
    public static bool operator <=(ExtendedSequenceNumber left, ExtendedSequenceNumber right) => left.CompareTo(right) <= 0;

    /// <summary>Greater than or equal.</summary>
    public static bool operator >=(ExtendedSequenceNumber left, ExtendedSequenceNumber right) => left.CompareTo(right) >= 0;

    private static int? SentinelRank(string? value) => value switch
    {
        "AT_TIMESTAMP" => -3,
        "TRIM_HORIZON" => -2,
        "LATEST" => -1,
        "SHARD_END" => 1,
        _ => null,
    };
}
