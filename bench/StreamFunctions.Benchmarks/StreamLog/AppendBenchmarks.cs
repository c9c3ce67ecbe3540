using BenchmarkDotNet.Attributes;
using FASTER.core;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Benchmarks.StreamLog;

/// <summary>
/// Appending records with group commit: StreamFunctions' AppendLog against Microsoft.FASTER.Core's
/// FasterLog, same record sizes, same commit cadence (a commit every 1,000 records, each commit waiting
/// until its records are durable as the log defines it). Mean is per record (OperationsPerInvoke).
/// FasterLog commits write its pages and a commit record through its own device; AppendLog's
/// EveryCommit policy writes the page and fsyncs; its None policy leaves the fsync to the OS
/// (the "killed process loses nothing, power loss may" level that FasterLog's default device gives).
/// </summary>
[MemoryDiagnoser]
public class AppendBenchmarks
{
    private const int Records = 100_000;
    private const int CommitEvery = 1_000;
    private byte[] _payload = [];
    private string _directory = string.Empty;

    [Params(100, 1024)]
    public int RecordBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[RecordBytes];
        new Random(42).NextBytes(_payload);
    }

    [IterationSetup]
    public void IterationSetup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "sfn-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [IterationCleanup]
    public void IterationCleanup()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A device still closing: the temp folder is cleaned by the OS.
        }
    }

    [Benchmark(OperationsPerInvoke = Records, Description = "AppendLog, fsync every commit")]
    public long AppendLogFsyncEveryCommit() => AppendLog(FsyncPolicy.EveryCommit);

    [Benchmark(OperationsPerInvoke = Records, Description = "AppendLog, fsync by the OS")]
    public long AppendLogFsyncNone() => AppendLog(FsyncPolicy.None);

    [Benchmark(Baseline = true, OperationsPerInvoke = Records, Description = "FasterLog")]
    public long FasterLogCommit()
    {
        using var settings = new FasterLogSettings(_directory, deleteDirOnDispose: true);
        using var log = new FasterLog(settings);
        long last = 0;
        for (var i = 1; i <= Records; i++)
        {
            last = log.Enqueue(_payload);
            if (i % CommitEvery == 0)
            {
                log.Commit(spinWait: true);
            }
        }

        log.Commit(spinWait: true);
        return last;
    }

    private long AppendLog(FsyncPolicy policy)
    {
        using var log = StreamFunctions.Local.StreamLog.Log.AppendLog.Open(_directory, new AppendLogOptions { FsyncPolicy = policy });
        long last = 0;
        for (var i = 1; i <= Records; i++)
        {
            last = log.Append(_payload);
            if (i % CommitEvery == 0)
            {
                log.Commit();
            }
        }

        log.Commit();
        return last;
    }
}
