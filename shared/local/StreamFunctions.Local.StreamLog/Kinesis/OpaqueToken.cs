using System.Buffers.Binary;
using System.Buffers.Text;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>A shard iterator's content: a position in one shard's log, and when it was handed out.</summary>
internal readonly record struct IteratorToken(int StreamId, int ShardIndex, long Address, long IssuedMilliseconds);

/// <summary>A ListShards NextToken's content: where the next page starts and the filter of the first page.</summary>
internal readonly record struct ListShardsToken(int StreamId, int AfterShardIndex, int FilterType, long FilterMilliseconds, int MaxResults, long IssuedMilliseconds);

/// <summary>
/// Shard iterators and ListShards tokens as opaque strings: a kind byte, the fields, a CRC-32C,
/// all base64url. The checksum turns a mangled or made-up token into a clear InvalidArgument
/// instead of a read at a random address.
/// </summary>
internal static class OpaqueToken
{
    private const byte IteratorKind = 0x49;
    private const byte ListShardsKind = 0x4C;
    // Lengths are multiples of 3 so every base64 character carries data bits only: one text per token.
    private const int IteratorLength = 1 + 4 + 4 + 8 + 8 + 1 + 4;
    private const int ListShardsLength = 1 + 4 + 4 + 4 + 8 + 4 + 8 + 2 + 4;

    public static string Encode(IteratorToken token)
    {
        Span<byte> bytes = stackalloc byte[IteratorLength];
        bytes[0] = IteratorKind;
        BinaryPrimitives.WriteInt32LittleEndian(bytes[1..], token.StreamId);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[5..], token.ShardIndex);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[9..], token.Address);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[17..], token.IssuedMilliseconds);
        return Seal(bytes);
    }

    public static bool TryDecodeIterator(string? text, out IteratorToken token)
    {
        token = default;
        Span<byte> bytes = stackalloc byte[IteratorLength];
        if (!TryOpen(text, bytes, IteratorKind))
        {
            return false;
        }

        token = new IteratorToken(
            BinaryPrimitives.ReadInt32LittleEndian(bytes[1..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[5..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[17..]));
        return true;
    }

    public static string Encode(ListShardsToken token)
    {
        Span<byte> bytes = stackalloc byte[ListShardsLength];
        bytes[0] = ListShardsKind;
        BinaryPrimitives.WriteInt32LittleEndian(bytes[1..], token.StreamId);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[5..], token.AfterShardIndex);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[9..], token.FilterType);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[13..], token.FilterMilliseconds);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[21..], token.MaxResults);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[25..], token.IssuedMilliseconds);
        return Seal(bytes);
    }

    public static bool TryDecodeListShards(string? text, out ListShardsToken token)
    {
        token = default;
        Span<byte> bytes = stackalloc byte[ListShardsLength];
        if (!TryOpen(text, bytes, ListShardsKind))
        {
            return false;
        }

        token = new ListShardsToken(
            BinaryPrimitives.ReadInt32LittleEndian(bytes[1..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[5..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[13..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[21..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[25..]));
        return true;
    }

    private static string Seal(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[^4..], Crc32C.Compute(bytes[..^4]));
        return Base64Url.EncodeToString(bytes);
    }

    private static bool TryOpen(string? text, Span<byte> bytes, byte kind)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 128 || !Base64Url.IsValid(text, out var length) || length != bytes.Length)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[96];
        if (!Base64Url.TryDecodeFromChars(text, decoded, out var written) || written != bytes.Length)
        {
            return false;
        }

        decoded[..written].CopyTo(bytes);
        return bytes[0] == kind && Crc32C.Compute(bytes[..^4]) == BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]);
    }
}
