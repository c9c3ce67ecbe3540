using System.Numerics;
using System.Runtime.CompilerServices;

namespace StreamFunctions.Records.Kpl.Internal;

/// <summary>The few pieces of the protobuf wire format the KPL aggregate needs: varints and tags.</summary>
internal static class ProtoWire
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    // AggregatedRecord
    public const byte TagPartitionKeyTable = (1 << 3) | WireLengthDelimited;     // 0x0A
    public const byte TagExplicitHashKeyTable = (2 << 3) | WireLengthDelimited;  // 0x12
    public const byte TagRecords = (3 << 3) | WireLengthDelimited;               // 0x1A

    // Record
    public const byte TagPartitionKeyIndex = (1 << 3) | WireVarint;              // 0x08
    public const byte TagExplicitHashKeyIndex = (2 << 3) | WireVarint;          // 0x10
    public const byte TagData = (3 << 3) | WireLengthDelimited;                  // 0x1A
    public const byte TagTags = (4 << 3) | WireLengthDelimited;                  // 0x22

    // Tag
    public const byte TagTagKey = (1 << 3) | WireLengthDelimited;                // 0x0A
    public const byte TagTagValue = (2 << 3) | WireLengthDelimited;              // 0x12

    /// <summary>The encoded size of <paramref name="value"/> as a varint: 1–10 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VarintSize(ulong value) => (BitOperations.Log2(value | 1) / 7) + 1;

    /// <summary>Writes <paramref name="value"/> as a varint at <paramref name="position"/>, advancing it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteVarint(Span<byte> destination, ref int position, ulong value)
    {
        var p = position;
        while (value >= 0x80)
        {
            destination[p++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[p++] = (byte)value;
        position = p;
    }

    /// <summary>
    /// Reads a varint at <paramref name="position"/>, advancing it; false when it runs past the end or
    /// is longer than 10 bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadVarint(ReadOnlySpan<byte> source, ref int position, out ulong value)
    {
        var p = position;
        if ((uint)p < (uint)source.Length && source[p] < 0x80)
        {
            value = source[p];
            position = p + 1;
            return true;
        }

        return TryReadVarintSlow(source, ref position, out value);
    }

    private static bool TryReadVarintSlow(ReadOnlySpan<byte> source, ref int position, out ulong value)
    {
        ulong result = 0;
        var p = position;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if ((uint)p >= (uint)source.Length)
            {
                value = 0;
                return false;
            }

            var b = source[p++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = result;
                position = p;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>
    /// Reads a length prefix and checks that the bytes it announces are there; on success
    /// <paramref name="position"/> is at the first of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadLength(ReadOnlySpan<byte> source, ref int position, out int length)
    {
        if (TryReadVarint(source, ref position, out var raw) && raw <= (ulong)(source.Length - position))
        {
            length = (int)raw;
            return true;
        }

        length = 0;
        return false;
    }

    /// <summary>Skips a field of an unknown number; false for group wire types or a field running past the end.</summary>
    public static bool TrySkipField(ReadOnlySpan<byte> source, ref int position, int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                return TryReadVarint(source, ref position, out _);
            case WireFixed64:
                return Advance(source, ref position, 8);
            case WireFixed32:
                return Advance(source, ref position, 4);
            case WireLengthDelimited:
                if (!TryReadLength(source, ref position, out var length))
                {
                    return false;
                }

                position += length;
                return true;
            default:
                return false;
        }
    }

    private static bool Advance(ReadOnlySpan<byte> source, ref int position, int count)
    {
        if (source.Length - position < count)
        {
            return false;
        }

        position += count;
        return true;
    }
}
