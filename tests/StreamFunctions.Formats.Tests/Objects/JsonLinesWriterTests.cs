using System.Text;
using FsCheck.Xunit;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Formats.Objects;
using static StreamFunctions.Records.Tests.Objects.ObjectTestData;

namespace StreamFunctions.Records.Tests.Objects;

public sealed class JsonLinesWriterTests
{
    public static TheoryData<CompressionCodec> Codecs => [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Zstd, CompressionCodec.Snappy, CompressionCodec.HadoopSnappy];

    /// <summary>Records → JSON lines → compressor → object; returns the object.</summary>
    private static byte[] WriteObject(List<byte[]> records, CompressionCodec codec, JsonLinesOptions? options = null, int flushEvery = 0)
    {
        using var file = new MemoryStream();
        using (var writer = new JsonLinesWriter(CompressionStreams.CreateCompressor(file, new CompressionOptions { Codec = codec }, leaveOpen: true), options))
        {
            for (var i = 0; i < records.Count; i++)
            {
                writer.Write(records[i]);
                if (flushEvery > 0 && i % flushEvery == 0)
                {
                    writer.Flush();
                }
            }
        }

        return file.ToArray();
    }

    private static byte[] Decompress(byte[] data, CompressionCodec codec)
    {
        using var input = CompressionStreams.CreateDecompressor(new MemoryStream(data), codec);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Write_ManyRecords_ReadsBackAsTheSameLinesAcrossParts(CompressionCodec codec)
    {
        var records = JsonRecords(120_000);

        var obj = WriteObject(records, codec);

        var lines = Encoding.UTF8.GetString(Decompress(obj, codec)).Split('\n');
        Assert.Equal(records.Count + 1, lines.Length);
        Assert.Equal(string.Empty, lines[^1]);
        Assert.Equal(records.Select(r => Encoding.UTF8.GetString(r)), lines[..^1]);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Write_SameRecordsTwice_SameBytesWhateverTheFlushes(CompressionCodec codec)
    {
        var records = JsonRecords(60_000, seed: 2);

        var first = WriteObject(records, codec);
        var second = WriteObject(records, codec, flushEvery: 997);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Write_WithoutNewlineDelimiter_ConcatenatesRecords()
    {
        var obj = WriteObject([Encoding.UTF8.GetBytes("{\"a\":1}"), Encoding.UTF8.GetBytes("{\"b\":2}")], CompressionCodec.None, new JsonLinesOptions { NewlineDelimiter = false });

        Assert.Equal("{\"a\":1}{\"b\":2}", Encoding.UTF8.GetString(obj));
    }

    [Fact]
    public void Write_RecordWithALineBreak_ThrowsNamingTheRecord()
    {
        using var writer = new JsonLinesWriter(Stream.Null);
        writer.Write("{\"ok\":1}"u8);

        var error = Assert.Throws<ObjectWriterException>(() => writer.Write("{\"a\":\n1}"u8));

        Assert.Equal(1, error.RecordIndex);
        Assert.Contains("Record 1 holds a line break", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("{} {}")]
    [InlineData("")]
    public void Write_InvalidJsonWithValidation_Throws(string json)
    {
        using var writer = new JsonLinesWriter(Stream.Null, new JsonLinesOptions { ValidateJson = true });

        var error = Assert.Throws<ObjectWriterException>(() => writer.Write(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(0, error.RecordIndex);
    }

    [Property(MaxTest = 50)]
    public bool ReadOfWrite_AnyStrings_GivesTheRecordsBack(string[] values, byte codecChoice)
    {
        var codec = (CompressionCodec)(codecChoice % 5);
        var records = values.Select(v => Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string?> { ["v"] = v }))).ToList();

        var text = Encoding.UTF8.GetString(Decompress(WriteObject(records, codec), codec));

        return text == string.Concat(records.Select(r => Encoding.UTF8.GetString(r) + "\n"));
    }
}
