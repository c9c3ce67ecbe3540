using System.Text;
using BenchmarkDotNet.Attributes;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Objects;

namespace StreamFunctions.Benchmarks.Storage;

/// <summary>
/// JSON-lines writing through each codec into 8 MiB S3 parts, on one thread: the time per MiB of JSON
/// records in (so MiB/s per core = 1,000,000,000 / Mean in ns). Records are ~190-byte clickstream-like JSON
/// objects; parts are taken and released as they complete, as an uploader would.
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
        using var parts = new MultipartStream();
        long size = 0;
        using (var writer = new JsonLinesWriter(CompressionStreams.CreateCompressor(parts, new CompressionOptions { Codec = codec, Level = level }, leaveOpen: true)))
        {
            for (var i = 0; i < _records.Length; i++)
            {
                writer.Write(_records[i]);
                if ((i & 1023) == 0)
                {
                    size += Release(parts);
                }
            }
        }

        parts.Complete();
        return size + Release(parts);
    }

    private static long Release(MultipartStream parts)
    {
        long size = 0;
        while (parts.TryTakePart(out var part))
        {
            size += part.Data.Length;
            part.Dispose();
        }

        return size;
    }
}
