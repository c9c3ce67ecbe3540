using System.Text;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Records;
using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The sink processes a batch in blocks of source records (cache-sized) when its transformation is an in-process
/// block transform: the staged chunk must be byte for byte what processing the batch in one block gives (or giving
/// it whole to a list transform), whatever the records do (delivered to several partitions, dropped, failing the
/// transform or the partition key, in a corrupt aggregate).
/// </summary>
public sealed class BlockedEncodingTests
{
    [Theory]
    [InlineData(CompressionCodec.None)]
    [InlineData(CompressionCodec.Gzip)]
    public async Task ManyAggregates_BlockedChunkSameAsOneBlock(CompressionCodec codec)
    {
        var evnt = Event(records: 4_000, corruptAggregate: 23);
        var blocked = new CountingTransform(evnt);
        var whole = new CountingTransform(evnt);

        var inBlocks = await Sink(blocked, codec).EncodeAsync(evnt);
        var inOne = await Sink(whole, codec, blockBytes: int.MaxValue).EncodeAsync(evnt);

        Assert.Equal(1, whole.Calls);
        Assert.True(blocked.Calls >= 3, $"{blocked.Calls} transform calls");
        Assert.Equal(whole.Records, blocked.Records);
        Assert.Equal(whole.Positions, blocked.Positions);
        Assert.Equal((inOne.Delivered, inOne.Dropped, inOne.Failed, inOne.Partitions), (inBlocks.Delivered, inBlocks.Dropped, inBlocks.Failed, inBlocks.Partitions));
        Assert.True(inOne.Delivered > 2_000 && inOne.Dropped > 300 && inOne.Failed > 300, $"{inOne.Delivered} delivered, {inOne.Dropped} dropped, {inOne.Failed} failed");
        Assert.True(inOne.Chunk.Span.SequenceEqual(inBlocks.Chunk.Span), "the chunks differ");
    }

    [Fact]
    public async Task BatchTransform_CalledOncePerBatch_SameChunkAsBlocks()
    {
        var evnt = Event(records: 4_000, corruptAggregate: 23);
        var blocked = new CountingTransform(evnt);
        var batch = new CountingBatchTransform();

        var inBlocks = await Sink(blocked, CompressionCodec.Gzip).EncodeAsync(evnt);
        var inOneCall = await Sink(batch, CompressionCodec.Gzip).EncodeAsync(evnt);

        Assert.True(blocked.Calls >= 3, $"{blocked.Calls} block transform calls");
        Assert.Equal(1, batch.Calls);
        Assert.Equal(blocked.Records, batch.Records);
        Assert.Equal((inBlocks.Delivered, inBlocks.Dropped, inBlocks.Failed, inBlocks.Partitions), (inOneCall.Delivered, inOneCall.Dropped, inOneCall.Failed, inOneCall.Partitions));
        Assert.True(inBlocks.Chunk.Span.SequenceEqual(inOneCall.Chunk.Span), "the chunks differ");
    }

    private static S3Sink Sink(IRecordTransform transform, CompressionCodec codec, int blockBytes = 512 * 1024) => OfflineSink.Create(
        new S3SinkOptions
        {
            Bucket = "bucket",
            Prefix = "data/type=!{partitionKeyFromLambda:type}/region=!{partitionKeyFromQuery:region}/",
            PartitionKeyQueries = new Dictionary<string, string> { ["region"] = ".region" },
            BufferInterval = TimeSpan.FromSeconds(60),
            Compression = new CompressionOptions { Codec = codec },
        },
        transform,
        new DateTimeOffset(2026, 11, 23, 10, 5, 0, TimeSpan.Zero),
        blockBytes);

    // ~4,000 records of ~500 bytes as KPL aggregates of up to 51,200 bytes (~40 of them): most delivered to one of
    // six partitions, some dropped by the filter, some not JSON, some without the partition key's field, some
    // with the query's field missing; one aggregate's checksum broken.
    private static KinesisEvent Event(int records, int corruptAggregate)
    {
        var random = new Random(5);
        string[] types = ["click", "view", "purchase", "scroll"];
        var users = new List<UserRecord>(records);
        for (var i = 0; i < records; i++)
        {
            var json = (i % 13) switch
            {
                0 => $"not json {i}",
                1 => $$"""{"n":{{i}},"region":"eu","padding":"{{new string('p', 400)}}"}""",
                2 => $$"""{"n":{{i}},"type":"{{types[random.Next(4)]}}","padding":"{{new string('q', 400)}}"}""",
                _ => $$"""{"n":{{i}},"type":"{{types[random.Next(4)]}}","region":"{{(random.Next(2) == 0 ? "eu" : "us")}}","padding":"{{new string('x', random.Next(300, 500))}}"}""",
            };
            users.Add(new UserRecord($"k{i % 97}", Encoding.UTF8.GetBytes(json)));
        }

        using var aggregator = new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = 51_200 });
        var aggregates = new List<KinesisAggregate>();
        aggregator.AddRange(users.ToArray(), aggregates);
        Assert.True(aggregates.Count > 30, $"{aggregates.Count} aggregates");
        var arrival = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        return new KinesisEvent
        {
            Records = [.. aggregates.Select((a, i) =>
            {
                var data = a.Data.ToArray();
                if (i == corruptAggregate)
                {
                    data[^1] ^= 0xFF;
                }

                return new KinesisEventRecord
                {
                    EventSource = "aws:kinesis",
                    EventSourceArn = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
                    EventId = $"shardId-000000000000:{49_600_000_000_000_000L + i}",
                    Kinesis = new KinesisRecord { PartitionKey = a.PartitionKey, SequenceNumber = (49_600_000_000_000_000L + i).ToString(System.Globalization.CultureInfo.InvariantCulture), Data = data, ApproximateArrivalTimestamp = arrival.AddSeconds(i / 10) },
                };
            })],
        };
    }

    private sealed class CountingTransform(KinesisEvent evnt) : IRecordBlockTransform
    {
        // Each user record's bytes by (sequence number, sub-sequence number), de-aggregated apart (the corrupt
        // aggregate has none).
        private readonly Dictionary<(string?, long?), byte[]> _bytes = evnt.Records
            .Where(r => KplDeaggregator.IsAggregated(r.Kinesis.Data))
            .SelectMany(r =>
            {
                var users = new List<UserRecord>();
                try
                {
                    KplDeaggregator.Deaggregate(r.Kinesis.Data, r.Kinesis.PartitionKey, users);
                }
                catch (KplFormatException)
                {
                }

                return users.Select(u => ((string?)r.Kinesis.SequenceNumber, (long?)u.SubSequenceNumber, u.Data.ToArray()));
            })
            .ToDictionary(u => (u.Item1, u.Item2), u => u.Item3);

        private readonly JsonProjectionTransform _inner = JsonProjectionTransform.Parse("""{"filter": {"$.type": ["click", "view", "purchase"]}, "partitionKeys": {"type": "$.type"}}""");

        public int Calls { get; private set; }

        public int Records { get; private set; }

        public HashSet<(string?, long?)> Positions { get; } = [];

        public void Transform(TransformBlock block)
        {
            Calls++;
            Records += block.Count;
            for (var i = 0; i < block.Count; i++)
            {
                // Every record says where it came from: its aggregate's sequence number and its place in it.
                var info = block.Info(i);
                Assert.Equal(("shardId-000000000000", "k"), (info.ShardId, info.PartitionKey?[..1]));
                Assert.True(Positions.Add((info.SequenceNumber, info.SubsequenceNumber)), $"record {i} repeats {info.SequenceNumber}.{info.SubsequenceNumber}");
                Assert.True(block.Data(i).SequenceEqual(_bytes[(info.SequenceNumber, info.SubsequenceNumber)]), $"record {i} is not the user record {info.SequenceNumber}.{info.SubsequenceNumber}");
            }

            _inner.Transform(block);
        }
    }

    // A transform that is not a block transform (as a remote one): the list form of the contract.
    private sealed class CountingBatchTransform : IRecordTransform
    {
        private readonly JsonProjectionTransform _inner = JsonProjectionTransform.Parse("""{"filter": {"$.type": ["click", "view", "purchase"]}, "partitionKeys": {"type": "$.type"}}""");

        public int Calls { get; private set; }

        public int Records { get; private set; }

        public Task<IReadOnlyList<TransformOutput>> TransformAsync(IReadOnlyList<TransformInput> records, CancellationToken cancellationToken = default)
        {
            Calls++;
            Records += records.Count;
            return _inner.TransformAsync(records, cancellationToken);
        }
    }
}
