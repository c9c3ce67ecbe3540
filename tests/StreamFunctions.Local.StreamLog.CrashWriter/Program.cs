using System.Globalization;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.CrashWriter;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Local.StreamLog.Log;

// Usage:
//   log <dir> <EveryCommit|Interval|None> <segmentSize> <seed>
//     appends records whose content is a function of their index, commits in random batches and
//     prints "A <index> <address>" for each record once the commit covering it has returned.
//   kinesis <dir> <EveryCommit|Interval|None> <seed> <first index>
//     PutRecords in random batches to stream "crash" (4 shards; split once after 50 batches) and
//     prints "K <index> <shardId> <sequenceNumber>" for each record once the call has returned.
// It writes until killed. Each line is flushed before the next write starts.
var mode = args[0];
var directory = args[1];
var policy = Enum.Parse<FsyncPolicy>(args[2]);
var output = Console.Out;
if (mode == "log")
{
    var segmentSize = long.Parse(args[3], CultureInfo.InvariantCulture);
    var random = new Random(int.Parse(args[4], CultureInfo.InvariantCulture));
    using var log = AppendLog.Open(directory, new AppendLogOptions { SegmentSize = segmentSize, FsyncPolicy = policy, MaxRecordSize = 64 * 1024, PageSize = 256 * 1024 });
    long index = CountRecords(log);
    var addresses = new List<(long Index, long Address)>();
    var buffer = new byte[64 * 1024];
    while (true)
    {
        var batch = random.Next(1, 40);
        addresses.Clear();
        for (var i = 0; i < batch; i++, index++)
        {
            var length = CrashRecords.Fill(index, buffer);
            addresses.Add((index, log.Append(buffer.AsSpan(0, length))));
        }

        log.Commit();
        foreach (var (i, address) in addresses)
        {
            output.WriteLine($"A {i} {address}");
        }

        output.Flush();
    }
}
else if (mode == "kinesis")
{
    var random = new Random(int.Parse(args[3], CultureInfo.InvariantCulture));
    using var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions
    {
        Directory = directory,
        Log = new AppendLogOptions { SegmentSize = 64 * 1024, FsyncPolicy = policy },
    });
    try
    {
        await kinesis.CreateStreamAsync(new CreateStreamRequest("crash", 4)).ConfigureAwait(false);
    }
    catch (StreamFunctions.KinesisApi.Exceptions.KinesisResourceInUseException)
    {
        // Reopened after an earlier kill: go on writing to the same stream.
    }

    var index = long.Parse(args[4], CultureInfo.InvariantCulture);
    for (var batchNumber = 0; ; batchNumber++)
    {
        if (batchNumber == 50)
        {
            var shards = await kinesis.ListShardsAsync(new ListShardsRequest("crash", ShardFilter: new ShardFilter(ShardFilterType.AtLatest))).ConfigureAwait(false);
            var first = shards.Shards[0];
            var middle = first.HashKeyRange.StartingHashKey + ((first.HashKeyRange.EndingHashKey - first.HashKeyRange.StartingHashKey) / 2);
            await kinesis.SplitShardAsync(new SplitShardRequest("crash", first.ShardId, middle)).ConfigureAwait(false);
        }

        var count = random.Next(1, 30);
        var entries = new List<PutRecordsRequestEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var data = new byte[CrashRecords.Length(index + i)];
            CrashRecords.Fill(index + i, data);
            entries.Add(new PutRecordsRequestEntry(data, (index + i).ToString(CultureInfo.InvariantCulture)));
        }

        var response = await kinesis.PutRecordsAsync(new PutRecordsRequest("crash", entries)).ConfigureAwait(false);
        for (var i = 0; i < count; i++)
        {
            output.WriteLine($"K {index + i} {response.Records[i].ShardId} {response.Records[i].SequenceNumber}");
        }

        output.Flush();
        index += count;
    }
}

static long CountRecords(AppendLog log)
{
    using var reader = log.CreateReader(log.BeginAddress);
    long count = 0;
    while (reader.TryRead(out _, out _) == ReadStatus.Record)
    {
        count++;
    }

    return count;
}
