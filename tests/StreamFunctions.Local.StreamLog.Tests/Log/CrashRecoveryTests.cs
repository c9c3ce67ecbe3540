using System.Globalization;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.CrashWriter;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Local.StreamLog.Tests.Log;

/// <summary>
/// A writer in a child process is killed at random points; the log must reopen with every record
/// the writer had been told was committed, and only records the writer wrote, in order.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private const long SegmentSize = 96 * 1024;
    private static readonly TimeSpan MaxRun = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static AppendLogOptions LogOptions(FsyncPolicy policy) =>
        new() { SegmentSize = SegmentSize, FsyncPolicy = policy, MaxRecordSize = 64 * 1024, PageSize = 256 * 1024 };

    [Theory]
    [InlineData(FsyncPolicy.EveryCommit, 11)]
    [InlineData(FsyncPolicy.Interval, 12)]
    [InlineData(FsyncPolicy.None, 13)]
    public void AppendLog_WriterKilledAtRandomPoints_ReopensWithEveryAcknowledgedRecordAndNoGarbage(FsyncPolicy policy, int seed)
    {
        var random = new Random(seed);
        var directory = _dir.Sub("log");
        var acknowledged = new Dictionary<long, long>();
        for (var cycle = 0; cycle < 3; cycle++)
        {
            var lines = CrashWriterProcess.RunAndKill(["log", directory, policy.ToString(), SegmentSize.ToString(CultureInfo.InvariantCulture), random.Next().ToString(CultureInfo.InvariantCulture)], random.Next(1, 2500), MaxRun);
            foreach (var line in lines.Where(l => l.Length == 3 && l[0] == "A"))
            {
                acknowledged[long.Parse(line[1], CultureInfo.InvariantCulture)] = long.Parse(line[2], CultureInfo.InvariantCulture);
            }

            var recovered = ReadLog(directory, policy);

            Assert.All(acknowledged, a => Assert.True(a.Key < recovered.Count && recovered[(int)a.Key] == a.Value, $"cycle {cycle}: acknowledged record {a.Key} at address {a.Value} is missing (recovered {recovered.Count})."));
        }
    }

    [Fact]
    public void AppendLog_DamagedCopyOfTheTail_ReopensWithAPrefixOfTheRecords()
    {
        var random = new Random(21);
        var directory = _dir.Sub("log");
        CrashWriterProcess.RunAndKill(["log", directory, nameof(FsyncPolicy.None), SegmentSize.ToString(CultureInfo.InvariantCulture), "5"], 3000, MaxRun);
        var original = ReadLog(directory, FsyncPolicy.None);

        for (var trial = 0; trial < 12; trial++)
        {
            var copy = _dir.Sub("copy" + trial);
            Directory.CreateDirectory(copy);
            foreach (var file in Directory.GetFiles(directory, "*" + SegmentFile.Extension))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            // The newest segment may be empty (the writer had just rolled): damage the newest one with records.
            var segments = Directory.GetFiles(copy, "*" + SegmentFile.Extension).Order(StringComparer.Ordinal).ToList();
            while (new FileInfo(segments[^1]).Length == SegmentFile.HeaderSize)
            {
                File.Delete(segments[^1]);
                segments.RemoveAt(segments.Count - 1);
            }

            var tail = segments[^1];
            var bytes = File.ReadAllBytes(tail);
            var position = SegmentFile.HeaderSize + random.Next(Math.Max(1, bytes.Length - SegmentFile.HeaderSize));
            if (trial % 2 == 0)
            {
                bytes[Math.Min(position, bytes.Length - 1)] ^= (byte)random.Next(1, 256);
            }
            else
            {
                Array.Resize(ref bytes, position);
            }

            File.WriteAllBytes(tail, bytes);

            var recovered = ReadLog(copy, FsyncPolicy.None);

            Assert.True(recovered.Count < original.Count, $"trial {trial}: the damaged record survived");
            Assert.Equal(original.Take(recovered.Count), recovered);
        }
    }

    [Theory]
    [InlineData(FsyncPolicy.EveryCommit, 31)]
    [InlineData(FsyncPolicy.None, 32)]
    public async Task EmbeddedKinesis_WriterKilledAtRandomPoints_ReopensWithEveryAcknowledgedRecordAndNoGarbage(FsyncPolicy policy, int seed)
    {
        var random = new Random(seed);
        var directory = _dir.Sub("kinesis");
        var acknowledged = new Dictionary<string, (long Index, string ShardId)>();
        long nextIndex = 0;
        for (var cycle = 0; cycle < 2; cycle++)
        {
            var lines = CrashWriterProcess.RunAndKill(
                ["kinesis", directory, policy.ToString(), random.Next().ToString(CultureInfo.InvariantCulture), nextIndex.ToString(CultureInfo.InvariantCulture)],
                random.Next(200, 3000),
                MaxRun);
            foreach (var line in lines.Where(l => l.Length == 4 && l[0] == "K" && SequenceNumbers.IsValid(l[3])))
            {
                acknowledged[line[3]] = (long.Parse(line[1], CultureInfo.InvariantCulture), line[2]);
            }

            var recovered = await ReadStream(directory);

            foreach (var (sequence, (index, shardId)) in acknowledged)
            {
                Assert.True(recovered.TryGetValue(sequence, out var record), $"cycle {cycle}: acknowledged record {index} ({sequence} on {shardId}) is missing.");
                Assert.Equal((index, shardId), (record.Index, record.ShardId));
            }

            nextIndex = recovered.Values.Max(r => r.Index) + 1;
        }
    }

    private static List<long> ReadLog(string directory, FsyncPolicy policy)
    {
        var addresses = new List<long>();
        using var log = AppendLog.Open(directory, LogOptions(policy));
        using var reader = log.CreateReader(log.BeginAddress);
        var expected = new byte[64 * 1024];
        while (reader.TryRead(out var payload, out var address) == ReadStatus.Record)
        {
            var length = CrashRecords.Fill(addresses.Count, expected);
            Assert.True(payload.SequenceEqual(expected.AsSpan(0, length)), $"record {addresses.Count} at address {address} is not what the writer wrote.");
            addresses.Add(address);
        }

        return addresses;
    }

    private static async Task<Dictionary<string, (long Index, string ShardId)>> ReadStream(string directory)
    {
        var records = new Dictionary<string, (long, string)>();
        using var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = directory, Log = new AppendLogOptions { SegmentSize = 64 * 1024 } });
        var shards = await kinesis.ListShardsAsync(new ListShardsRequest("crash"));
        foreach (var shard in shards.Shards)
        {
            var iterator = (await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest("crash", shard.ShardId, ShardIteratorType.TrimHorizon))).ShardIterator;
            string? previous = null;
            while (true)
            {
                var page = await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator));
                foreach (var record in page.Records)
                {
                    var index = long.Parse(record.PartitionKey, CultureInfo.InvariantCulture);
                    var expected = new byte[CrashRecords.Length(index)];
                    CrashRecords.Fill(index, expected);
                    Assert.True(record.Data.Span.SequenceEqual(expected), $"record {index} ({record.SequenceNumber}) on {shard.ShardId} is not what the writer wrote.");
                    Assert.True(previous is null || SequenceNumbers.Compare(previous, record.SequenceNumber) < 0, $"sequence numbers go back on {shard.ShardId}");
                    previous = record.SequenceNumber;
                    records.Add(record.SequenceNumber, (index, shard.ShardId));
                }

                if (page.NextShardIterator is null || page.Records.Count == 0)
                {
                    break;
                }

                iterator = page.NextShardIterator;
            }
        }

        return records;
    }
}
