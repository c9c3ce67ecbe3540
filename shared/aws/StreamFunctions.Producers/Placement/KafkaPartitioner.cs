using System.Buffers.Binary;
using System.Text;

namespace StreamFunctions.Producers.Placement;

/// <summary>
/// Kafka's default partitioner for keyed records, exactly as the Java client computes it (and librdkafka's
/// <c>murmur2_random</c>): <c>(murmur2(keyBytes) &amp; 0x7fffffff) % partitions</c>, with Kafka's murmur2
/// (seed 0x9747b28c, little-endian 4-byte blocks).
/// </summary>
public static class KafkaPartitioner
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>Kafka's murmur2 hash of a key.</summary>
    /// <param name="key">The key's bytes.</param>
    /// <returns>The 32-bit hash, as Java's signed int.</returns>
    public static int Murmur2(ReadOnlySpan<byte> key)
    {
        var length = key.Length;
        var h = Seed ^ (uint)length;
        var blocks = length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(key.Slice(i * 4, 4));
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        var tail = key[(blocks * 4)..];
        switch (tail.Length)
        {
            case 3:
                h ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                h ^= tail[0];
                h *= M;
                break;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return unchecked((int)h);
    }

    /// <summary>The partition of a keyed record.</summary>
    /// <param name="key">The key's bytes.</param>
    /// <param name="partitions">The topic's partition count.</param>
    /// <returns>0 to <paramref name="partitions"/> - 1.</returns>
    public static int Partition(ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return (Murmur2(key) & 0x7fffffff) % partitions;
    }

    /// <summary>The partition of a record keyed by a string (its UTF-8 bytes, as Kafka's StringSerializer writes them).</summary>
    /// <param name="key">The key.</param>
    /// <param name="partitions">The topic's partition count.</param>
    /// <returns>0 to <paramref name="partitions"/> - 1.</returns>
    public static int Partition(string key, int partitions)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Partition(Encoding.UTF8.GetBytes(key), partitions);
    }
}
