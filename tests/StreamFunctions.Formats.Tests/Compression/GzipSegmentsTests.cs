using System.Diagnostics;
using System.IO.Compression;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Exceptions;

namespace StreamFunctions.Records.Tests.Compression;

public sealed class GzipSegmentsTests
{
    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        for (var i = 0; i < data.Length; i += 3)
        {
            data[i] = (byte)'a';
        }

        return data;
    }

    private static (byte[] Member, byte[] Original) Member(params int[] lengths)
    {
        using var member = new MemoryStream();
        member.Write(GzipSegments.Header);
        var original = new List<byte>();
        uint crc = 0;
        long length = 0;
        for (var i = 0; i < lengths.Length; i++)
        {
            var data = Data(lengths[i], i);
            var segment = GzipSegments.Compress(data, member, level: 6);
            crc = GzipSegments.Combine(crc, segment.Crc, segment.Length);
            length += segment.Length;
            original.AddRange(data);
        }

        member.Write(GzipSegments.Trailer(crc, length));
        return (member.ToArray(), [.. original]);
    }

    [Theory]
    [InlineData(new[] { 100_000 })]
    [InlineData(new[] { 1, 0, 70_000, 3, 250_000 })]
    public void Segments_ConcatenatedWithHeaderAndTrailer_OneValidMemberForTheCheckedReader(int[] lengths)
    {
        var (member, original) = Member(lengths);

        using var reader = CompressionStreams.CreateDecompressor(new MemoryStream(member), CompressionCodec.Gzip);
        using var output = new MemoryStream();
        reader.CopyTo(output);

        Assert.Equal(original, output.ToArray());
    }

    [Fact]
    public void Segments_ReadByGzip_SameBytes()
    {
        var (member, original) = Member(40_000, 90_000);
        var path = Path.Combine(Path.GetTempPath(), $"segments-{Guid.NewGuid():N}.gz");
        File.WriteAllBytes(path, member);
        try
        {
            using var gzip = Process.Start(new ProcessStartInfo("gzip", ["-t", path]) { RedirectStandardError = true })!;
            gzip.WaitForExit();
            Assert.Equal(0, gzip.ExitCode);
        }
        finally
        {
            File.Delete(path);
        }

        using var framework = new GZipStream(new MemoryStream(member), CompressionMode.Decompress);
        using var output = new MemoryStream();
        framework.CopyTo(output);
        Assert.Equal(original, output.ToArray());
    }

    [Fact]
    public void Segments_WrongTrailer_CheckedReaderRefuses()
    {
        var (member, _) = Member(10_000, 10_000);
        member[^5] ^= 1;

        using var reader = CompressionStreams.CreateDecompressor(new MemoryStream(member), CompressionCodec.Gzip);
        Assert.Throws<CompressedDataException>(() => reader.CopyTo(Stream.Null));
    }

    [Fact]
    public void Combine_AnySplit_EqualsTheWholeCrc()
    {
        var data = Data(5_000, 9);
        var whole = GzipSegments.Compress(data, Stream.Null, 1).Crc;
        foreach (var split in new[] { 0, 1, 7, 2_500, 4_999, 5_000 })
        {
            var a = GzipSegments.Compress(data.AsSpan(0, split), Stream.Null, 1);
            var b = GzipSegments.Compress(data.AsSpan(split), Stream.Null, 1);
            Assert.Equal(whole, GzipSegments.Combine(a.Crc, b.Crc, b.Length));
        }
    }
}
