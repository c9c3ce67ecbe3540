using System.Text;
using BenchmarkDotNet.Attributes;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Objects;

namespace StreamFunctions.Benchmarks.Storage;

/// <summary>
/// JSON-lines writing through each codec, on one thread: the time per MiB of JSON records in (so MiB/s per
/// core = 1,000,000,000 / Mean in ns). Records are ~190-byte clickstream-like JSON objects; the compressed
/// bytes are counted and dropped, as an uploader sending them on would.
/// </summary>
[MemoryDiagnoser]
public class JsonLinesCompressionBenchmarks
{
    private const int InputMiB = 32;
    private byte[][] _records = [];

    /// <summary>Codec and level.</summary>
    [Params("none", "gzip-1", "gzip-6", "zstd-1", "zstd-3", "snappy", "hadoop-snappy")]
    public string Codec { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var records = new List<byte[]>();
        var total = 0L;
        string[] pages = ["/", "/search", "/cart", "/checkout", "/product/123", "/product/456", "/account"];
        string[] agents = ["Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)", "curl/8.5.0"];
        while (total < InputMiB * 1024L * 1024)
        {
            var json = $"{{\"eventId\":\"{Guid.NewGuid()}\",\"userId\":{random.Next(1_000_000)},\"page\":\"{pages[random.Next(pages.Length)]}\",\"agent\":\"{agents[random.Next(agents.Length)]}\",\"ms\":{random.Next(5000)},\"price\":{random.Next(100_000) / 100.0},\"at\":\"2026-11-23T{random.Next(24):00}:{random.Next(60):00}:{random.Next(60):00}Z\"}}";
            var bytes = Encoding.UTF8.GetBytes(json);
            records.Add(bytes);
            total += bytes.Length + 1;
        }

        _records = [.. records];
        var compressed = Write();
        Console.WriteLine($"// {Codec}: {total:N0} bytes of JSON lines -> {compressed:N0} bytes ({(double)compressed / total:P1})");
    }

    [Benchmark(OperationsPerInvoke = InputMiB)]
    public long WriteJsonLines() => Write();

    private long Write()
    {
        var (codec, level) = Codec switch
        {
            "gzip-1" => (CompressionCodec.Gzip, 1),
            "gzip-6" => (CompressionCodec.Gzip, 6),
            "zstd-1" => (CompressionCodec.Zstd, 1),
            "zstd-3" => (CompressionCodec.Zstd, 3),
            "snappy" => (CompressionCodec.Snappy, (int?)null),
            "hadoop-snappy" => (CompressionCodec.HadoopSnappy, null),
            _ => (CompressionCodec.None, null),
        };
        using var output = new CountingStream();
        using (var writer = new JsonLinesWriter(CompressionStreams.CreateCompressor(output, new CompressionOptions { Codec = codec, Level = level }, leaveOpen: true)))
        {
            foreach (var record in _records)
            {
                writer.Write(record);
            }
        }

        return output.Length;
    }

    /// <summary>A write-only stream that keeps only the count of bytes written.</summary>
    private sealed class CountingStream : Stream
    {
        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _written += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _written += buffer.Length;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
