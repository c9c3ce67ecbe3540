using System.Globalization;
using StreamFunctions.KinesisApi;

namespace StreamFunctions.Producers.Placement;

/// <summary>
/// Spreads configured hot partition keys over several shards by salting them: <c>key</c> becomes
/// <c>key#i</c> with <c>i</c> in [0, salts), chosen from the record's own identity so that the same record
/// always gets the same salted key (a retried put lands where the first one did). Trade-off, by design:
/// records of a hot key stay ordered only within each salted key, not across all of them; consumers that
/// need per-key totals merge the salted keys back with <see cref="Unsalt"/>. Keys not configured as hot
/// are left alone and keep Kinesis's per-key ordering.
/// </summary>
public sealed class HotKeySpreader
{
    /// <summary>The separator between a key and its salt.</summary>
    public const char Separator = '#';

    private readonly HashSet<string> _hot;
    private readonly int _salts;

    /// <summary>Creates the spreader.</summary>
    /// <param name="hotKeys">The keys to spread.</param>
    /// <param name="salts">How many salted keys each hot key becomes: 2 to 1,000.</param>
    public HotKeySpreader(IEnumerable<string> hotKeys, int salts)
    {
        ArgumentNullException.ThrowIfNull(hotKeys);
        ArgumentOutOfRangeException.ThrowIfLessThan(salts, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(salts, 1000);
        _hot = new HashSet<string>(hotKeys, StringComparer.Ordinal);
        _salts = salts;
        foreach (var key in _hot)
        {
            // A salted key must stay within Kinesis's 256-character partition key limit.
            if (key.Length + 1 + (salts - 1).ToString(CultureInfo.InvariantCulture).Length > KinesisLimits.MaxPartitionKeyLength)
            {
                throw new ArgumentException($"Hot key '{key[..Math.Min(key.Length, 32)]}…' is too long to salt within the 256-character partition key limit.", nameof(hotKeys));
            }
        }
    }

    /// <summary>The partition key to write a record with.</summary>
    /// <param name="partitionKey">The record's key.</param>
    /// <param name="recordIdentity">Something unique and stable per record (an idempotency key, event id or the data).</param>
    /// <returns>The key itself, or a salted key for a hot key.</returns>
    public string KeyFor(string partitionKey, ReadOnlySpan<byte> recordIdentity)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        if (!_hot.Contains(partitionKey))
        {
            return partitionKey;
        }

        var salt = (KafkaPartitioner.Murmur2(recordIdentity) & 0x7fffffff) % _salts;
        return string.Create(CultureInfo.InvariantCulture, $"{partitionKey}{Separator}{salt}");
    }

    /// <summary>The original key of a possibly salted key.</summary>
    /// <param name="partitionKey">A key written through a spreader.</param>
    /// <returns>The key without its salt.</returns>
    public string Unsalt(string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        var separator = partitionKey.LastIndexOf(Separator);
        return separator > 0
            && _hot.Contains(partitionKey[..separator])
            && int.TryParse(partitionKey.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var salt)
            && salt < _salts
                ? partitionKey[..separator]
                : partitionKey;
    }
}
