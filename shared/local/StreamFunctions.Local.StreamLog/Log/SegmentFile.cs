using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace StreamFunctions.Local.StreamLog.Log;

/// <summary>
/// A segment file: a 32-byte header (magic <c>SFNLOG01</c>, the segment's base address, reserved
/// zeros, CRC-32C of the first 28 bytes) followed by record frames. Its name is its base address,
/// zero-padded, so a directory listing sorts in log order. Addresses run on across segments: a
/// segment's base is the previous base plus the previous segment's data length.
/// </summary>
public static class SegmentFile
{
    /// <summary>The header size.</summary>
    public const int HeaderSize = 32;

    /// <summary>The file name extension.</summary>
    public const string Extension = ".log";

    private static ReadOnlySpan<byte> Magic => "SFNLOG01"u8;

    /// <summary>The file name of the segment starting at <paramref name="baseAddress"/>.</summary>
    public static string FileName(long baseAddress) => baseAddress.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    /// <summary>The base address in a segment file name, or false when the name is not a segment's.</summary>
    public static bool TryParseFileName(string fileName, out long baseAddress)
    {
        baseAddress = -1;
        return fileName.Length == 20 + Extension.Length
            && fileName.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseAddress);
    }

    /// <summary>Writes the header of the segment starting at <paramref name="baseAddress"/>.</summary>
    public static void WriteHeader(Span<byte> destination, long baseAddress)
    {
        destination[..HeaderSize].Clear();
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], baseAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], Crc32C.Compute(destination[..28]));
    }

    /// <summary>Reads a header; false when the magic or checksum is wrong.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> source, out long baseAddress)
    {
        baseAddress = -1;
        if (source.Length < HeaderSize || !source.StartsWith(Magic)
            || Crc32C.Compute(source[..28]) != BinaryPrimitives.ReadUInt32LittleEndian(source[28..]))
        {
            return false;
        }

        baseAddress = BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
        return true;
    }

    /// <summary>A short description for messages.</summary>
    internal static string Describe(string path, long baseAddress) =>
        new StringBuilder(path).Append(" (base address ").Append(baseAddress).Append(')').ToString();
}
