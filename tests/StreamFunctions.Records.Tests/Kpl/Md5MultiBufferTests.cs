using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using FsCheck.Xunit;
using StreamFunctions.Hashing;
using StreamFunctions.Hashing.Internal;

namespace StreamFunctions.Records.Tests.Kpl;

#pragma warning disable CA5351 // MD5 is the format's checksum
public sealed class Md5MultiBufferTests
{
    /// <summary>Every implementation this machine can run: serial, 8 lanes (AVX2), 16 lanes (AVX-512).</summary>
    private static IEnumerable<int> LaneCounts()
    {
        yield return 1;
        if (Avx2.IsSupported)
        {
            yield return 8;
        }

        if (Md5MultiBuffer.Lanes == 16)
        {
            yield return 16;
        }
    }

    private static void AssertMatchesMd5(byte[][] messages)
    {
        foreach (var lanes in LaneCounts())
        {
            var digests = new byte[messages.Length * 16];

            Md5MultiBuffer.HashMany(messages.Select(m => (ReadOnlyMemory<byte>)m).ToArray(), digests, lanes);

            for (var i = 0; i < messages.Length; i++)
            {
                Assert.True(
                    MD5.HashData(messages[i]).AsSpan().SequenceEqual(digests.AsSpan(i * 16, 16)),
                    $"{lanes} lanes: message {i} ({messages[i].Length} bytes) hashed wrong");
            }
        }

        // The same messages concatenated in one buffer (the partition-key path).
        var concatenated = messages.SelectMany(m => m).ToArray();
        var fromBuffer = new byte[messages.Length * 16];
        Md5Batch.Hash(concatenated, [.. messages.Select(m => m.Length)], fromBuffer);
        for (var i = 0; i < messages.Length; i++)
        {
            Assert.True(
                MD5.HashData(messages[i]).AsSpan().SequenceEqual(fromBuffer.AsSpan(i * 16, 16)),
                $"concatenated: message {i} ({messages[i].Length} bytes) hashed wrong");
        }
    }

    [Fact]
    public void Hash_LengthsPastTheBuffer_Throws() =>
        Assert.Throws<ArgumentException>(() => Md5Batch.Hash(new byte[10], [4, 7], new byte[32]));

    [Fact]
    public void HashMany_PaddingEdgeLengths_MatchesMd5()
    {
        // Lengths around the block (64) and padding (56) boundaries, in groups of every size.
        int[] lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 70_000];
        var random = new Random(1);
        for (var count = 1; count <= 40; count++)
        {
            var messages = Enumerable.Range(0, count).Select(i =>
            {
                var m = new byte[lengths[(i * 7 + count) % lengths.Length]];
                random.NextBytes(m);
                return m;
            }).ToArray();
            AssertMatchesMd5(messages);
        }
    }

    [Fact]
    public void HashMany_EqualLengths_MatchesMd5()
    {
        var random = new Random(2);
        var messages = Enumerable.Range(0, 33).Select(_ =>
        {
            var m = new byte[1 << 16];
            random.NextBytes(m);
            return m;
        }).ToArray();

        AssertMatchesMd5(messages);
    }

    [Fact]
    public void HashMany_OneLongAmongShort_MatchesMd5()
    {
        var random = new Random(3);
        var messages = Enumerable.Range(0, 17).Select(i =>
        {
            var m = new byte[i == 5 ? 300_000 : i];
            random.NextBytes(m);
            return m;
        }).ToArray();

        AssertMatchesMd5(messages);
    }

    [Fact]
    public void HashMany_SlicesOfOneArray_MatchesMd5()
    {
        var random = new Random(4);
        var buffer = new byte[10_000];
        random.NextBytes(buffer);
        var slices = Enumerable.Range(0, 20).Select(i => (ReadOnlyMemory<byte>)buffer.AsMemory(i * 13, 100 + (i * 311))).ToArray();
        var digests = new byte[slices.Length * 16];

        Md5MultiBuffer.HashMany(slices, digests);

        for (var i = 0; i < slices.Length; i++)
        {
            Assert.Equal(MD5.HashData(slices[i].Span), digests.AsSpan(i * 16, 16).ToArray());
        }
    }

    [Property(MaxTest = 100)]
    public void HashMany_AnyMessages_MatchesMd5(byte[][] messages) =>
        AssertMatchesMd5(messages.Select(m => m ?? []).ToArray());
}
