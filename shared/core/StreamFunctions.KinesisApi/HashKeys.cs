using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.KinesisApi;

/// <summary>
/// Kinesis's 128-bit hash key space: a partition key maps to the MD5 of its UTF-8 bytes read as a
/// big-endian unsigned integer, and a record goes to the open shard whose range holds that key
/// (or the explicit hash key, when given).
/// </summary>
public static class HashKeys
{
    /// <summary>The largest hash key, 2^128 − 1.</summary>
    public static UInt128 MaxValue => UInt128.MaxValue;

    /// <summary>The hash key of a partition key: MD5(UTF-8(key)) as a big-endian 128-bit integer.</summary>
    public static UInt128 FromPartitionKey(string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        // Partition keys are at most 256 UTF-16 chars, so at most 768 UTF-8 bytes: the stack holds them.
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(partitionKey.Length)];
        var length = Encoding.UTF8.GetBytes(partitionKey, utf8);
        return FromPartitionKey(utf8[..length]);
    }

    /// <summary>The hash key of a partition key given as UTF-8 bytes.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "Kinesis defines shard placement as MD5 of the partition key; this is routing, not security.")]
    public static UInt128 FromPartitionKey(ReadOnlySpan<byte> partitionKeyUtf8)
    {
        Span<byte> digest = stackalloc byte[MD5.HashSizeInBytes];
        MD5.HashData(partitionKeyUtf8, digest);
        return new UInt128(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest[8..]));
    }

    /// <summary>Kinesis's pattern of a hash key (ExplicitHashKey, StartingHashKey, NewStartingHashKey), whole: 0, or 1 to 39 digits without a leading zero.</summary>
    public const string Pattern = @"0|([1-9]\d{0,38})";

    /// <summary>The form Kinesis takes, for messages: <c>0, or a decimal integer without leading zeros (…) up to 2^128 - 1</c>.</summary>
    public const string Rule = "0, or a decimal integer without leading zeros (" + Pattern + ") up to 2^128 - 1";

    /// <summary>Parses a decimal hash key (ExplicitHashKey, StartingHashKey) in 0 … 2^128 − 1, written as Kinesis takes it.</summary>
    /// <exception cref="FormatException">Not <see cref="Pattern"/> or out of range.</exception>
    public static UInt128 Parse(string value)
    {
        if (!TryParse(value, out var key))
        {
            throw new FormatException($"'{value}' is not a hash key: expected {Rule}.");
        }

        return key;
    }

    /// <summary>
    /// Parses a decimal hash key as Kinesis takes it: <see cref="Pattern"/> (no sign, space or leading zero: for one
    /// entry that breaks it Kinesis refuses the whole PutRecords call) and at most 2^128 − 1. The one check of a hash
    /// key the platform accepts, wherever it comes from.
    /// </summary>
    public static bool TryParse(string? value, out UInt128 hashKey)
    {
        hashKey = default;
        return MatchesPattern(value) && UInt128.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out hashKey);
    }

    /// <summary>Whether a text has the form of <see cref="Pattern"/>, whatever its value (it may still exceed 2^128 − 1).</summary>
    public static bool MatchesPattern([NotNullWhen(true)] string? value) =>
        value is { Length: >= 1 and <= 39 } && (value == "0" || (char.IsAsciiDigit(value[0]) && value[0] != '0' && !value.AsSpan(1).ContainsAnyExceptInRange('0', '9')));

    /// <summary>The decimal form Kinesis's API uses.</summary>
    public static string Format(UInt128 hashKey) => hashKey.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The ranges CreateStream gives <paramref name="shardCount"/> shards: the key space cut into
    /// equal parts of ⌊2^128 / n⌋ keys, the last part running to 2^128 − 1.
    /// </summary>
    public static HashKeyRange[] EvenSplit(int shardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        if (shardCount == 1)
        {
            return [new HashKeyRange(UInt128.Zero, UInt128.MaxValue)];
        }

        // ⌊2^128 / n⌋ without overflowing: ⌊(2^128 − 1) / n⌋, plus one when n divides 2^128.
        var n = (UInt128)shardCount;
        var step = UInt128.MaxValue / n;
        if (UInt128.MaxValue % n == n - 1)
        {
            step++;
        }

        var ranges = new HashKeyRange[shardCount];
        for (var i = 0; i < shardCount; i++)
        {
            var start = step * (UInt128)i;
            var end = i == shardCount - 1 ? UInt128.MaxValue : start + step - 1;
            ranges[i] = new HashKeyRange(start, end);
        }

        return ranges;
    }
}
