using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace StreamFunctions.Windowing.Sketches;

/// <summary>
/// A 64-bit hash that is the same in every process and on every machine (unlike <see cref="HashCode"/>), so
/// that sketches saved by one invocation merge with those of the next: xxHash64's round and avalanche
/// functions over 8-byte words.
/// </summary>
public static class StableHash
{
    private const ulong P1 = 11400714785074694791UL;
    private const ulong P2 = 14029467366897019727UL;
    private const ulong P3 = 1609587929392839161UL;
    private const ulong P4 = 9650029242287828579UL;
    private const ulong P5 = 2870177450012600261UL;

    /// <summary>Hashes bytes.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The hash.</returns>
    public static ulong Hash64(ReadOnlySpan<byte> data)
    {
        var h = P5 + (ulong)data.Length;
        while (data.Length >= 8)
        {
            h ^= Round(BinaryPrimitives.ReadUInt64LittleEndian(data));
            h = (BitOperations.RotateLeft(h, 27) * P1) + P4;
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(data) * P1;
            h = (BitOperations.RotateLeft(h, 23) * P2) + P3;
            data = data[4..];
        }

        foreach (var b in data)
        {
            h ^= b * P5;
            h = BitOperations.RotateLeft(h, 11) * P1;
        }

        h ^= h >> 33;
        h *= P2;
        h ^= h >> 29;
        h *= P3;
        return h ^ (h >> 32);
    }

    /// <summary>Hashes a string's UTF-16 code units.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The hash.</returns>
    public static ulong Hash64(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Hash64(MemoryMarshal.AsBytes(text.AsSpan()));
    }

    /// <summary>Hashes a number by its bits (so 1 and 1.0 are the same item).</summary>
    /// <param name="value">The number.</param>
    /// <returns>The hash.</returns>
    public static ulong Hash64(double value)
    {
        Span<byte> bits = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bits, value == 0 ? 0 : value);
        return Hash64(bits);
    }

    private static ulong Round(ulong input) => BitOperations.RotateLeft(input * P2, 31) * P1;
}
