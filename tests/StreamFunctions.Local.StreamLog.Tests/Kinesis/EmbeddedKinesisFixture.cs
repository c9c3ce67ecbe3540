using System.Text;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Local.StreamLog.Log;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.StreamLog.Tests.Kinesis;

/// <summary>A folder, a hand-moved clock and an <see cref="EmbeddedKinesis"/> on them, reopenable.</summary>
public abstract class EmbeddedKinesisTestBase : IDisposable
{
    private readonly TempDirectory _dir = new();

    protected EmbeddedKinesisTestBase()
    {
        Sut = CreateSut();
    }

    protected ManualTimeProvider Time { get; } = new();

    protected EmbeddedKinesis Sut { get; private set; }

    protected string Directory => _dir.Sub("kinesis");

    protected EmbeddedKinesisOptions Options => new()
    {
        Directory = Directory,
        Log = new AppendLogOptions { SegmentSize = 8 * 1024, FsyncPolicy = FsyncPolicy.None },
    };

    public void Dispose()
    {
        Sut.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    protected EmbeddedKinesis CreateSut() => EmbeddedKinesis.Open(Options, Time);

    protected void Reopen()
    {
        Sut.Dispose();
        Sut = CreateSut();
    }

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(KinesisRecord record) => Encoding.UTF8.GetString(record.Data.Span);

    protected async Task<PutRecordResponse> Put(string stream, string data, string? partitionKey = null, string? explicitHashKey = null) =>
        await Sut.PutRecordAsync(new PutRecordRequest(stream, Bytes(data), partitionKey ?? data, explicitHashKey));

    protected async Task<string> Iterator(string stream, string shardId, ShardIteratorType type, string? sequenceNumber = null, DateTimeOffset? timestamp = null) =>
        (await Sut.GetShardIteratorAsync(new GetShardIteratorRequest(stream, shardId, type, sequenceNumber, timestamp))).ShardIterator;

    /// <summary>Reads a shard from the iterator until no records come back or the shard ends.</summary>
    protected async Task<(List<KinesisRecord> Records, GetRecordsResponse Last)> ReadAll(string iterator, int? limit = null)
    {
        var records = new List<KinesisRecord>();
        while (true)
        {
            var page = await Sut.GetRecordsAsync(new GetRecordsRequest(iterator, limit));
            records.AddRange(page.Records);
            if (page.NextShardIterator is null || page.Records.Count == 0)
            {
                return (records, page);
            }

            iterator = page.NextShardIterator;
        }
    }

    protected async Task<List<Shard>> AllShards(string stream)
    {
        var response = await Sut.ListShardsAsync(new ListShardsRequest(stream));
        return [.. response.Shards];
    }
}
