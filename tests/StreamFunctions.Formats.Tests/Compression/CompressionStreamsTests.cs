using System.Buffers.Binary;
using System.IO.Compression;
using FsCheck.Xunit;
using Snappier;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Records.Tests.Compression;

public sealed class CompressionStreamsTests
{
    public static TheoryData<CompressionCodec> Codecs => [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Zstd, CompressionCodec.Snappy, CompressionCodec.HadoopSnappy];

    public static TheoryData<CompressionCodec> CheckedCodecs => [CompressionCodec.Gzip, CompressionCodec.Zstd, CompressionCodec.Snappy, CompressionCodec.HadoopSnappy];

    private static byte[] Compress(ReadOnlySpan<byte> data, CompressionOptions options, int writeSize = int.MaxValue)
    {
        using var output = new MemoryStream();
        using (var compressor = CompressionStreams.CreateCompressor(output, options, leaveOpen: true))
        {
            while (!data.IsEmpty)
            {
                var take = Math.Min(writeSize, data.Length);
                compressor.Write(data[..take]);
                data = data[take..];
            }
        }

        return output.ToArray();
    }

    private static byte[] Decompress(byte[] compressed, CompressionCodec codec, int readSize = 8192)
    {
        using var input = CompressionStreams.CreateDecompressor(new MemoryStream(compressed), codec);
        using var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    /// <summary>Compressible but not trivial: JSON-ish lines with random numbers.</summary>
    private static byte[] SampleData(int size, int seed = 1)
    {
        var random = new Random(seed);
        var text = new System.Text.StringBuilder();
        while (text.Length < size)
        {
            text.Append("{\"id\":").Append(random.Next()).Append(",\"name\":\"user-").Append(random.Next(1000)).Append("\",\"score\":").Append(random.NextDouble()).Append("}\n");
        }

        return System.Text.Encoding.UTF8.GetBytes(text.ToString(0, size));
    }

    [Property(MaxTest = 60)]
    public bool DecompressOfCompress_AnyBytesAnyWriteSizes_GivesThemBack(byte[] data, byte codecChoice, byte writeSize, bool repeat)
    {
        var codec = (CompressionCodec)(codecChoice % 5);
        var input = repeat ? [.. data, .. data, .. data, .. SampleData(300_000)] : data;
        var options = new CompressionOptions { Codec = codec, HadoopSnappyBufferSize = 4096 };

        var compressed = Compress(input, options, writeSize + 1);

        return Decompress(compressed, codec, (writeSize % 7) + 1).AsSpan().SequenceEqual(input);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compress_SameInputDifferentWriteSizes_SameBytes(CompressionCodec codec)
    {
        var data = SampleData(1_000_000);
        var options = new CompressionOptions { Codec = codec };

        var whole = Compress(data, options);
        var pieces = Compress(data, options, writeSize: 777);

        Assert.Equal(whole, pieces);
        Assert.Equal(data, Decompress(whole, codec));
    }

    [Theory]
    [MemberData(nameof(CheckedCodecs))]
    public void Decompress_Truncated_ThrowsNeverReturnsAShortRead(CompressionCodec codec)
    {
        var data = SampleData(400_000);
        var compressed = Compress(data, new CompressionOptions { Codec = codec });

        foreach (var cut in new[] { compressed.Length - 1, compressed.Length - 5, compressed.Length / 2, 7, 3 })
        {
            var error = Assert.Throws<CompressedDataException>(() => Decompress(compressed[..cut], codec));
            Assert.True(error.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase) || error.Message.Contains("corrupt", StringComparison.OrdinalIgnoreCase), error.Message);
        }
    }

    /// <summary>HadoopSnappy has no checksum: a flipped literal byte reads back changed, as in Hadoop.</summary>
    [Theory]
    [InlineData(CompressionCodec.Gzip)]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Snappy)]
    public void Decompress_FlippedByte_Throws(CompressionCodec codec)
    {
        var data = SampleData(400_000);
        var compressed = Compress(data, new CompressionOptions { Codec = codec });
        compressed[compressed.Length / 2] ^= 0x10;

        Assert.Throws<CompressedDataException>(() => Decompress(compressed, codec));
    }

    [Theory]
    [InlineData(CompressionCodec.Gzip, 1, 9)]
    [InlineData(CompressionCodec.Zstd, 1, 19)]
    public void Compress_HigherLevel_SmallerOutputAndSameData(CompressionCodec codec, int low, int high)
    {
        var data = SampleData(2_000_000);

        var fast = Compress(data, new CompressionOptions { Codec = codec, Level = low });
        var small = Compress(data, new CompressionOptions { Codec = codec, Level = high });

        Assert.True(small.Length < fast.Length, $"level {high}: {small.Length} bytes, level {low}: {fast.Length}");
        Assert.Equal(data, Decompress(small, codec));
    }

    [Theory]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Snappy)]
    [InlineData(CompressionCodec.HadoopSnappy)]
    public void Decompress_StreamsCompressedApartAndConcatenated_OneStreamOfTheirData(CompressionCodec codec)
    {
        // The S3 sink compresses each batch's bytes on their own and concatenates them into one object.
        var first = SampleData(70_000, 1);
        var second = SampleData(130_000, 2);
        var options = new CompressionOptions { Codec = codec };

        var joined = Decompress([.. Compress(first, options), .. Compress(second, options)], codec);

        Assert.Equal([.. first, .. second], joined);
    }

    [Fact]
    public void Compress_Gzip_IsStandardGzipReadableByGZipStream()
    {
        var data = SampleData(100_000);
        var compressed = Compress(data, new CompressionOptions { Codec = CompressionCodec.Gzip });

        using var reader = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        reader.CopyTo(output);

        Assert.Equal([0x1F, 0x8B], compressed[..2]);
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public void Compress_Zstd_WritesAContentChecksum()
    {
        var compressed = Compress(SampleData(10_000), new CompressionOptions { Codec = CompressionCodec.Zstd });

        Assert.Equal([0x28, 0xB5, 0x2F, 0xFD], compressed[..4]);
        Assert.True((compressed[4] & 0x04) != 0, "the frame header's Content_Checksum_flag is not set");
    }

    [Fact]
    public void Compress_Snappy_IsTheFramingFormatSnappierReads()
    {
        var data = SampleData(300_000);
        var compressed = Compress(data, new CompressionOptions { Codec = CompressionCodec.Snappy });

        using var reader = new SnappyStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        reader.CopyTo(output);

        Assert.Equal([0xFF, 0x06, 0x00, 0x00, .. "sNaPpY"u8], compressed[..10]);
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public void Decompress_SnappyFramingWithUncompressedAndSkippableChunks_ReadsThem()
    {
        var payload = "hello, framing"u8.ToArray();
        var crc = StreamFunctions.Formats.Compression.Internal.SnappyFramingDecompressionStream.MaskedCrc32C(payload);
        using var stream = new MemoryStream();
        stream.Write([0xFF, 0x06, 0x00, 0x00, .. "sNaPpY"u8]);
        stream.Write([0x80, 0x03, 0x00, 0x00, 1, 2, 3]); // skippable
        stream.Write([0x01, (byte)(payload.Length + 4), 0x00, 0x00]);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crcBytes, crc);
        stream.Write(crcBytes);
        stream.Write(payload);
        stream.Write([0xFE, 0x02, 0x00, 0x00, 0, 0]); // padding

        Assert.Equal(payload, Decompress(stream.ToArray(), CompressionCodec.Snappy));
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x00, 0x00 }, "stream identifier")]
    [InlineData(new byte[] { 0xFF, 0x06, 0x00, 0x00, (byte)'s', (byte)'N', (byte)'a', (byte)'P', (byte)'p', (byte)'Y', 0x05, 0x00, 0x00, 0x00 }, "unskippable")]
    public void Decompress_InvalidSnappyFraming_ThrowsNamingTheProblem(byte[] data, string expected)
    {
        var error = Assert.Throws<CompressedDataException>(() => Decompress(data, CompressionCodec.Snappy));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compress_HadoopSnappy_WritesHadoopBlocksOfAtMostTheCodecInputLimit()
    {
        // 256 KiB buffer: Hadoop's BlockCompressorStream takes 262144 − (262144 / 6 + 32) = 218,422 bytes a block.
        var data = SampleData(500_000);
        var compressed = Compress(data, new CompressionOptions { Codec = CompressionCodec.HadoopSnappy });

        var blocks = new List<int>();
        var rebuilt = new List<byte>();
        for (var p = 0; p < compressed.Length;)
        {
            var raw = BinaryPrimitives.ReadInt32BigEndian(compressed.AsSpan(p));
            var length = BinaryPrimitives.ReadInt32BigEndian(compressed.AsSpan(p + 4));
            rebuilt.AddRange(Snappy.DecompressToArray(compressed.AsSpan(p + 8, length)));
            Assert.True(length < 262_144, $"chunk of {length} compressed bytes would not fit Hadoop's buffer");
            blocks.Add(raw);
            p += 8 + length;
        }

        Assert.Equal([218_422, 218_422, 500_000 - (2 * 218_422)], blocks);
        Assert.Equal(data, rebuilt.ToArray());
    }

    [Fact]
    public void Decompress_HadoopBlockOfSeveralChunks_ReadsItWhole()
    {
        var first = SampleData(1000, seed: 2);
        var second = SampleData(500, seed: 3);
        using var stream = new MemoryStream();
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, first.Length + second.Length);
        stream.Write(word);
        foreach (var part in new[] { first, second })
        {
            var chunk = Snappy.CompressToArray(part);
            BinaryPrimitives.WriteInt32BigEndian(word, chunk.Length);
            stream.Write(word);
            stream.Write(chunk);
        }

        Assert.Equal([.. first, .. second], Decompress(stream.ToArray(), CompressionCodec.HadoopSnappy));
    }

    [Fact]
    public void Decompress_HadoopBlockLengthCorrupted_Throws()
    {
        var compressed = Compress(SampleData(100_000), new CompressionOptions { Codec = CompressionCodec.HadoopSnappy });
        compressed[1] ^= 0x01;

        Assert.Throws<CompressedDataException>(() => Decompress(compressed, CompressionCodec.HadoopSnappy));
    }

    [Fact]
    public void Decompress_HadoopChunkLargerThanItsBlock_Throws()
    {
        var chunk = Snappy.CompressToArray(SampleData(1000));
        using var stream = new MemoryStream();
        stream.Write([0, 0, 0, 10]);
        stream.Write([0, 0, (byte)(chunk.Length >> 8), (byte)chunk.Length]);
        stream.Write(chunk);

        var error = Assert.Throws<CompressedDataException>(() => Decompress(stream.ToArray(), CompressionCodec.HadoopSnappy));

        Assert.Contains("more than the 10", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compress_Empty_DecompressesToEmpty(CompressionCodec codec)
    {
        Assert.Empty(Decompress(Compress([], new CompressionOptions { Codec = codec }), codec));
    }

    [Theory]
    [InlineData(CompressionCodec.Gzip, 10, "Level")]
    [InlineData(CompressionCodec.Gzip, -1, "Level")]
    [InlineData(CompressionCodec.Zstd, 0, "Level")]
    [InlineData(CompressionCodec.Zstd, 23, "Level")]
    [InlineData(CompressionCodec.Snappy, 1, "Level")]
    [InlineData(CompressionCodec.None, 1, "Level")]
    public void Options_LevelOutOfRange_NamesTheOption(CompressionCodec codec, int level, string option)
    {
        var error = Assert.Throws<StorageOptionsException>(() => new CompressionOptions { Codec = codec, Level = level }.Validate());

        Assert.Equal($"CompressionOptions.{option}", error.OptionName);
    }

    [Fact]
    public void Options_Defaults_AreTheCodecsOwn()
    {
        Assert.Equal(CompressionCodec.None, new CompressionOptions().Codec);
        Assert.Equal(6, new CompressionOptions { Codec = CompressionCodec.Gzip }.EffectiveLevel);
        Assert.Equal(3, new CompressionOptions { Codec = CompressionCodec.Zstd }.EffectiveLevel);
        Assert.Equal(".gz", new CompressionOptions { Codec = CompressionCodec.Gzip }.FileExtension);
        Assert.Throws<StorageOptionsException>(() => new CompressionOptions { HadoopSnappyBufferSize = 100 }.Validate());
    }
}
