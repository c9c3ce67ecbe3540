using BenchmarkDotNet.Attributes;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Benchmarks.StreamLog;

/// <summary>
/// Sequential scan of a committed log from the page cache: 256 MiB of 1 KiB records, every frame's
/// CRC-32C checked. GB/s = bytes / Mean.
/// </summary>
[MemoryDiagnoser]
public class ScanBenchmarks
{
    private const int RecordBytes = 1024;
    private const long TotalBytes = 256L * 1024 * 1024;
    private string _directory = string.Empty;
    private AppendLog? _log;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "sfn-scan-" + Guid.NewGuid().ToString("N"));
        _log = AppendLog.Open(_directory, new AppendLogOptions { FsyncPolicy = FsyncPolicy.None });
        var payload = new byte[RecordBytes];
        new Random(7).NextBytes(payload);
        for (long written = 0; written < TotalBytes; written += RecordBytes)
        {
            _log.Append(payload);
        }

        _log.Commit();
        Console.WriteLine($"// log of {TotalBytes:N0} payload bytes in {_log.GetSegments().Count} segments");
        _ = Scan();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "scan 256 MiB")]
    public long Scan()
    {
        using var reader = _log!.CreateReader(_log.BeginAddress);
        long bytes = 0;
        while (reader.TryRead(out var payload, out _) == ReadStatus.Record)
        {
            bytes += payload.Length;
        }

        if (bytes != TotalBytes)
        {
            throw new InvalidOperationException($"scanned {bytes:N0} of {TotalBytes:N0} bytes");
        }

        return bytes;
    }
}
