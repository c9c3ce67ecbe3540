using System.Text;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Producers;

namespace StreamFunctions.Gateway.Tests;

/// <summary>
/// Records the gateway did not read (the router's, the aggregator's results, <c>sfn replay</c>'s) reach the producer
/// as they are. One that Kinesis would refuse fails alone as InvalidRecord, naming the rule, instead of being sent:
/// Kinesis refuses the whole PutRecords call for one bad entry (the embedded stream log does the same), and an
/// aggregate cannot even be built with it.
/// </summary>
public sealed class KinesisRecordProducerTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sfn-producer-");
    private readonly EmbeddedKinesis _kinesis;

    public KinesisRecordProducerTests()
    {
        _kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _directory.FullName });
    }

    public void Dispose()
    {
        _kinesis.Dispose();
        _directory.Delete(recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProduceAsync_RecordsKinesisWouldRefuse_EachFailsAloneAndTheOthersAreWritten(bool aggregate)
    {
        await _kinesis.CreateStreamAsync(new CreateStreamRequest("s", 2));
        var producer = new KinesisRecordProducer(_kinesis, "s", new KinesisProducerOptions { Aggregate = aggregate });
        ProducerRecord[] records =
        [
            new(Data(0), "a"),
            new(Data(1), "b", "007"),
            new(Data(2), new string('k', 257)),
            new(Data(3), "c\uD800"),
            new(Data(4), string.Empty),
            new(new byte[(1024 * 1024) - 1], "dd"),
            new(Data(6), "a", "340282366920938463463374607431768211455"),
        ];

        var results = await producer.ProduceAsync(records, DateTimeOffset.MaxValue);

        Assert.Equal([true, false, false, false, false, false, true], results.Select(r => r.Succeeded));
        Assert.Equal(
            [
                "Record 1: the explicit hash key '007' is not one Kinesis takes: 0, or a decimal integer without leading zeros (0|([1-9]\\d{0,38})) up to 2^128 - 1.",
                "Record 2: the partition key has 257 characters; Kinesis takes 1 to 256.",
                "Record 3: the partition key is not valid Unicode (a lone surrogate).",
                "Record 4: the partition key has 0 characters; Kinesis takes 1 to 256.",
                "Record 5: data (1048575 bytes) and partition key (2 bytes) exceed 1048576 bytes (1 MiB).",
            ],
            results.Where(r => !r.Succeeded).Select(r => r.ErrorMessage));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal((ProduceErrorCodes.InvalidRecord, 0), (r.ErrorCode, r.Attempts)));
        Assert.All(results.Where(r => r.Succeeded), r => Assert.StartsWith("shardId-", r.ShardId, StringComparison.Ordinal));
    }

    private static byte[] Data(int n) => Encoding.UTF8.GetBytes($$"""{"n":{{n}}}""");
}
