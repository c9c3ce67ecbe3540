using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Records.Tests.Kpl;

public sealed class PutRecordsBatcherTests
{
    private const int MiB = 1024 * 1024;

    private static PutRecordsBatcher CreateSut(PutRecordsBatcherOptions? options = null) => new(options);

    [Fact]
    public void TryAdd_500Records_FillsARequestAndThe501stWaits()
    {
        var sut = CreateSut();
        for (var i = 0; i < 500; i++)
        {
            Assert.True(sut.TryAdd(new PutRecordsRequestEntry(new byte[10], "k")));
        }

        Assert.False(sut.TryAdd(new PutRecordsRequestEntry(new byte[10], "k")));
        Assert.Equal(500, sut.Drain().Count);
        Assert.Equal(0, sut.Count);
        Assert.True(sut.TryAdd(new PutRecordsRequestEntry(new byte[10], "k")));
    }

    [Fact]
    public void TryAdd_FiveMebibytesCountingPartitionKeys_FillsARequest()
    {
        var sut = CreateSut();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(sut.TryAdd(new PutRecordsRequestEntry(new byte[MiB - 2], "pk")));
        }

        Assert.Equal(5 * MiB, sut.SizeBytes);
        Assert.False(sut.TryAdd(new PutRecordsRequestEntry(Array.Empty<byte>(), "k")));
        Assert.Equal(5, sut.Count);
    }

    [Fact]
    public void TryAdd_RecordOverOneMebibyteWithItsKey_Throws()
    {
        var sut = CreateSut();

        var error = Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(new PutRecordsRequestEntry(new byte[MiB - 1], "pk")));

        Assert.Contains("exceed 1048576", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryAdd_EmptyPartitionKey_Throws()
    {
        var sut = CreateSut();

        Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(new PutRecordsRequestEntry(new byte[1], string.Empty)));
    }

    [Fact]
    public void TryAdd_Aggregates_BatchesTheirEntries()
    {
        using var aggregator = new KplAggregator();
        var aggregates = new List<KinesisAggregate>();
        aggregator.AddRange(KplTestData.RandomRecords(seed: 9, count: 12_000, minBytes: 900, maxBytes: 1000).ToArray(), aggregates);
        var sut = CreateSut();
        var requests = new List<IReadOnlyList<PutRecordsRequestEntry>>();

        foreach (var aggregate in aggregates)
        {
            if (!sut.TryAdd(aggregate))
            {
                requests.Add(sut.Drain());
                Assert.True(sut.TryAdd(aggregate));
            }
        }

        requests.Add(sut.Drain());
        Assert.All(requests, r => Assert.InRange(r.Sum(PutRecordsBatcher.SizeOf), 1, 5 * MiB));
        Assert.Equal(aggregates.Count, requests.Sum(r => r.Count));
        Assert.True(requests.Count >= 3);
    }

    [Theory]
    [InlineData(0, 5 * MiB, "MaxRecordsPerRequest")]
    [InlineData(501, 5 * MiB, "MaxRecordsPerRequest")]
    [InlineData(500, MiB - 1, "MaxRequestSize")]
    [InlineData(500, (5 * MiB) + 1, "MaxRequestSize")]
    public void Options_OutOfRange_NamesTheOption(int records, int size, string option)
    {
        var error = Assert.Throws<StorageOptionsException>(() => CreateSut(new PutRecordsBatcherOptions { MaxRecordsPerRequest = records, MaxRequestSize = size }));

        Assert.Equal($"PutRecordsBatcherOptions.{option}", error.OptionName);
    }
}
