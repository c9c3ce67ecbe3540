using System.Buffers.Binary;

namespace StreamFunctions.Local.StreamLog.CrashWriter;

/// <summary>Record contents the writer and the tests both derive from a record's index.</summary>
public static class CrashRecords
{
    /// <summary>The length of record <paramref name="index"/>: 8 to about 9,000 bytes.</summary>
    public static int Length(long index) => 8 + (int)((ulong)(index * 2654435761L) % 9000);

    /// <summary>Writes record <paramref name="index"/> into <paramref name="buffer"/> and returns its length.</summary>
    public static int Fill(long index, Span<byte> buffer)
    {
        var length = Length(index);
        BinaryPrimitives.WriteInt64LittleEndian(buffer, index);
        for (var i = 8; i < length; i++)
        {
            buffer[i] = (byte)(index + (i * 31));
        }

        return length;
    }
}
