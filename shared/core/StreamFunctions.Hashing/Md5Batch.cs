using StreamFunctions.Hashing.Internal;

namespace StreamFunctions.Hashing;

/// <summary>
/// MD5 of many independent messages at once, in vector lanes (16 with AVX-512, 8 with AVX2; one at a time
/// elsewhere). Kinesis places records by the MD5 of their partition keys and the KPL checksums its
/// aggregates with MD5: both hash many short, independent messages, which one serial MD5 call per message
/// does several times slower.
/// </summary>
public static class Md5Batch
{
    /// <summary>How many messages one vector pass hashes on this machine (16, 8 or 1).</summary>
    public static int Lanes => Md5MultiBuffer.Lanes;

    /// <summary>Writes the MD5 of <c>messages[i]</c> to <c>digests[16 * i .. 16 * i + 16]</c>.</summary>
    /// <param name="messages">The messages.</param>
    /// <param name="digests">At least 16 bytes per message.</param>
    public static void Hash(ReadOnlySpan<ReadOnlyMemory<byte>> messages, Span<byte> digests) => Md5MultiBuffer.HashMany(messages, digests);

    /// <summary>
    /// Writes the MD5 of each message of <paramref name="concatenated"/> (laid end to end, of the given
    /// lengths) to <c>digests[16 * i .. 16 * i + 16]</c>. The fast way for many short messages such as
    /// partition keys: one buffer, nothing pinned per message.
    /// </summary>
    /// <param name="concatenated">The messages, end to end.</param>
    /// <param name="lengths">Each message's length, in order.</param>
    /// <param name="digests">At least 16 bytes per message.</param>
    /// <exception cref="ArgumentException">The lengths run past the buffer, or the digests do not fit.</exception>
    public static void Hash(ReadOnlySpan<byte> concatenated, ReadOnlySpan<int> lengths, Span<byte> digests) => Md5MultiBuffer.HashMany(concatenated, lengths, digests);
}
