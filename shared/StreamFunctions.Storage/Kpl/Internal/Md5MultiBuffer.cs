using System.Security.Cryptography;

namespace StreamFunctions.Storage.Kpl.Internal;

/// <summary>MD5 of many messages at once.</summary>
internal static class Md5MultiBuffer
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "The KPL format defines the checksum as MD5.")]
    public static void HashMany(ReadOnlySpan<ReadOnlyMemory<byte>> messages, Span<byte> digests)
    {
        for (var i = 0; i < messages.Length; i++)
        {
            MD5.HashData(messages[i].Span, digests.Slice(i * 16, 16));
        }
    }
}
