using System.Text;
using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl;
using static StreamFunctions.Records.Tests.Kpl.KplTestData;

namespace StreamFunctions.Records.Tests.Kpl;

public sealed class KplAggregatorTests
{
    private const int MiB = 1024 * 1024;

    private static KplAggregator CreateSut(int maxAggregateSize = MiB, int maxRecords = int.MaxValue) =>
        new(new KplAggregatorOptions { MaxAggregateSize = maxAggregateSize, MaxUserRecordsPerAggregate = maxRecords });

    [Fact]
    public void Build_TwoRecords_WritesTheReferenceBytes()
    {
        // What aws-kinesis-agg 4.2.8 writes for these records (tests/peers/kpl-peer.js agg), and the same
        // message built field by field from aggregation-format.md.
        var reference = Convert.FromBase64String("84mawgoBYQoBYhIDMTIzGgkIABoFaGVsbG8aCwgBEAAaBXdvcmxkA98hyUVrjLJKLNDbinDwqQ==");
        var byHand = Aggregate(new Proto()
            .Field(1, "a").Field(1, "b").Field(2, "123")
            .Field(3, new Proto().Field(1, 0UL).Field(3, "hello"))
            .Field(3, new Proto().Field(1, 1UL).Field(2, 0UL).Field(3, "world"))
            .ToArray());
        using var sut = CreateSut();

        Assert.True(sut.TryAdd(Record("a", "hello")));
        Assert.True(sut.TryAdd(Record("b", "world", "123")));
        using var aggregate = sut.Build();

        Assert.Equal(reference, aggregate.Data.ToArray());
        Assert.Equal(byHand, aggregate.Data.ToArray());
        Assert.Equal("a", aggregate.PartitionKey);
        Assert.Null(aggregate.ExplicitHashKey);
        Assert.Equal(2, aggregate.UserRecordCount);
        Assert.True(aggregate.IsAggregated);
    }

    [Fact]
    public void Build_RepeatedKeys_AreStoredOnceInFirstUseOrder()
    {
        using var sut = CreateSut();
        foreach (var key in new[] { "x", "y", "x", "z", "y" })
        {
            sut.TryAdd(Record(key, key));
        }

        using var aggregate = sut.Build();

        var expected = Aggregate(new Proto()
            .Field(1, "x").Field(1, "y").Field(1, "z")
            .Field(3, new Proto().Field(1, 0UL).Field(3, "x"))
            .Field(3, new Proto().Field(1, 1UL).Field(3, "y"))
            .Field(3, new Proto().Field(1, 0UL).Field(3, "x"))
            .Field(3, new Proto().Field(1, 2UL).Field(3, "z"))
            .Field(3, new Proto().Field(1, 1UL).Field(3, "y"))
            .ToArray());
        Assert.Equal(expected, aggregate.Data.ToArray());
    }

    [Fact]
    public void Build_OneRecord_SendsItAsIsLikeTheKpl()
    {
        using var sut = CreateSut();
        sut.TryAdd(Record("pk", "just me", "42"));

        using var aggregate = sut.Build();

        Assert.False(aggregate.IsAggregated);
        Assert.Equal("just me", Encoding.UTF8.GetString(aggregate.Data.Span));
        Assert.Equal("pk", aggregate.PartitionKey);
        Assert.Equal("42", aggregate.ExplicitHashKey);
        Assert.Equal(9, aggregate.SizeBytes);
    }

    [Fact]
    public void Build_OneRecordStartingWithTheMagicNumber_AggregatesItSoItReadsBackUnchanged()
    {
        byte[] data = [0xF3, 0x89, 0x9A, 0xC2, 1, 2, 3];
        using var sut = CreateSut();
        sut.TryAdd(Record("pk", data));

        using var aggregate = sut.Build();

        Assert.True(aggregate.IsAggregated);
        Assert.Equal(data, Assert.Single(DecodeAll([aggregate])).Data.ToArray());
    }

    [Fact]
    public void TryAdd_RecordThatExactlyFillsOneMebibyte_FitsAndOneMoreByteDoesNot()
    {
        // Outer key "k" (1) + magic and MD5 (20) + key table entry (3) + first record (106 bytes for 100 of data)
        // + second record (d + 10 for d of data, 3-byte varints) = 1 MiB when d = 1,048,436.
        const int fill = 1_048_436;
        using var sut = CreateSut();
        Assert.True(sut.TryAdd(Record("k", new byte[100])));

        Assert.False(sut.TryAdd(Record("k", new byte[fill + 1])));
        Assert.Equal(1, sut.Count);
        Assert.True(sut.TryAdd(Record("k", new byte[fill])));
        Assert.Equal(MiB, sut.SizeBytes);
        using var aggregate = sut.Build();

        Assert.Equal(MiB - 1, aggregate.Data.Length);
        Assert.Equal(MiB, aggregate.SizeBytes);
    }

    [Fact]
    public void TryAdd_CountsTheOuterPartitionKeyInUtf8()
    {
        // The same fill as above with a 2-byte UTF-8 key ("é") whose table entry is also one byte longer:
        // the record fits only with 2 bytes less data.
        const int fill = 1_048_436 - 2;
        using var sut = CreateSut();
        Assert.True(sut.TryAdd(Record("é", new byte[100])));

        Assert.False(sut.TryAdd(Record("é", new byte[fill + 1])));
        Assert.True(sut.TryAdd(Record("é", new byte[fill])));
        Assert.Equal(MiB, sut.SizeBytes);
    }

    [Fact]
    public void TryAdd_RecordTooLargeToAggregateButWithinKinesisLimit_GoesAloneAsIs()
    {
        using var sut = CreateSut();
        var data = new byte[MiB - 1];
        data[0] = 7;

        Assert.True(sut.TryAdd(Record("k", data)));
        Assert.False(sut.TryAdd(Record("k", "more")));
        using var aggregate = sut.Build();

        Assert.False(aggregate.IsAggregated);
        Assert.Equal(MiB, aggregate.SizeBytes);
        Assert.Equal(data, aggregate.Data.ToArray());
    }

    [Fact]
    public void TryAdd_RecordOverOneMebibyte_ThrowsNamingTheRecordAndSizes()
    {
        using var sut = CreateSut();
        sut.TryAdd(Record("k", "first"));

        var error = Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(Record("k", new byte[MiB])));

        Assert.Equal(1, error.RecordIndex);
        Assert.Contains("User record 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("1048576", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, sut.Count);
    }

    [Fact]
    public void TryAdd_LargeRecordStartingWithMagic_ThrowsRatherThanSendAnUnreadableRecord()
    {
        using var sut = CreateSut();
        var data = new byte[MiB - 10];
        KplFormat.Magic.CopyTo(data);

        var error = Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(Record("k", data)));

        Assert.Contains("magic number", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sut.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void TryAdd_EmptyPartitionKey_ThrowsClearError(string? key)
    {
        using var sut = CreateSut();

        var error = Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(new UserRecord(key, new byte[1])));

        Assert.Contains("User record 0 has an empty partition key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryAdd_PartitionKeyLengths_AllowsUpTo256Characters()
    {
        using var sut = CreateSut();

        Assert.True(sut.TryAdd(Record(new string('a', 256), "x")));
        var error = Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(Record(new string('a', 257), "x")));
        Assert.Contains("257 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryAdd_LoneSurrogateInPartitionKey_Throws()
    {
        using var sut = CreateSut();

        var error = Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(Record("a\ud800b", "x")));

        Assert.Contains("not valid Unicode", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("340282366920938463463374607431768211456")]
    [InlineData(" 1")]
    public void TryAdd_InvalidExplicitHashKey_Throws(string hashKey)
    {
        using var sut = CreateSut();

        var error = Assert.Throws<InvalidUserRecordException>(() => sut.TryAdd(Record("k", "x", hashKey)));

        Assert.Contains(hashKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryAdd_LargestExplicitHashKey_IsAccepted()
    {
        using var sut = CreateSut();

        Assert.True(sut.TryAdd(Record("k", "x", "340282366920938463463374607431768211455")));
    }

    [Fact]
    public void AddRange_WithRecordLimit_CutsAggregatesOfThatMany()
    {
        using var sut = CreateSut(maxRecords: 3);
        var aggregates = new List<KinesisAggregate>();

        sut.AddRange(RandomRecords(seed: 1, count: 10, minBytes: 1, maxBytes: 10).ToArray(), aggregates);

        Assert.Equal([3, 3, 3, 1], aggregates.Select(a => a.UserRecordCount));
    }

    [Fact]
    public void AddRange_ManyRecords_EveryKinesisRecordIsWithinTheLimitAndFull()
    {
        const int max = 20_000;
        using var sut = CreateSut(maxAggregateSize: max);
        var records = RandomRecords(seed: 2, count: 2000, minBytes: 0, maxBytes: 600, distinctKeys: 50, hashKeyShare: 0.2);
        var aggregates = new List<KinesisAggregate>();

        sut.AddRange(records.ToArray(), aggregates, flush: true);

        Assert.All(aggregates, a => Assert.InRange(a.SizeBytes, 1, max));
        Assert.All(aggregates, a => Assert.Equal(a.Data.Length + Encoding.UTF8.GetByteCount(a.PartitionKey), a.SizeBytes));
        // Full: the first record of each aggregate would not have fitted in the one before.
        var next = 0;
        foreach (var aggregate in aggregates.SkipLast(1))
        {
            using var probe = CreateSut(maxAggregateSize: max);
            for (var i = 0; i < aggregate.UserRecordCount; i++)
            {
                Assert.True(probe.TryAdd(records[next + i]));
            }

            next += aggregate.UserRecordCount;
            Assert.False(probe.TryAdd(records[next]));
        }

        AssertSameRecords(records, DecodeAll(aggregates));
    }

    [Fact]
    public void AddRange_InvalidRecordInTheMiddle_LeavesEarlierAggregatesSignedAndValid()
    {
        using var sut = CreateSut(maxAggregateSize: 200);
        var records = RandomRecords(seed: 4, count: 20, minBytes: 20, maxBytes: 40);
        records.Insert(15, new UserRecord(string.Empty, new byte[1]));
        var aggregates = new List<KinesisAggregate>();

        var error = Assert.Throws<InvalidUserRecordException>(() => sut.AddRange(records.ToArray(), aggregates));

        Assert.NotEmpty(aggregates);
        var decoded = DecodeAll(aggregates);
        AssertSameRecords(records.Take(decoded.Count).ToList(), decoded);
        Assert.Equal(15, decoded.Count + sut.Count);
        Assert.Contains("empty partition key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRange_WithoutFlush_KeepsTheLastAggregateOpen()
    {
        using var sut = CreateSut(maxAggregateSize: 300);
        var aggregates = new List<KinesisAggregate>();

        sut.AddRange(RandomRecords(seed: 5, count: 30, minBytes: 20, maxBytes: 40).ToArray(), aggregates, flush: false);

        Assert.True(sut.Count > 0);
        Assert.Equal(30, aggregates.Sum(a => a.UserRecordCount) + sut.Count);
    }

    [Fact]
    public void AddRange_WithoutFlush_CopiesTheOpenRecordsSoTheCallerMayReuseItsBuffers()
    {
        using var sut = CreateSut();
        var buffer = Encoding.UTF8.GetBytes("original");
        var aggregates = new List<KinesisAggregate>();

        sut.AddRange([Record("k", buffer), Record("k", "second")], aggregates, flush: false);
        buffer.AsSpan().Fill((byte)'x');
        using var aggregate = sut.Build();

        Assert.Empty(aggregates);
        Assert.Equal(["original", "second"], DecodeAll([aggregate]).Select(r => Encoding.UTF8.GetString(r.Data.Span)));
    }

    [Fact]
    public void Build_Empty_Throws()
    {
        using var sut = CreateSut();

        Assert.Throws<InvalidOperationException>(() => sut.Build());
    }

    [Fact]
    public void Aggregate_AfterDispose_DataThrows()
    {
        using var sut = CreateSut();
        sut.TryAdd(Record("k", "x"));
        var aggregate = sut.Build();

        aggregate.Dispose();

        Assert.Throws<ObjectDisposedException>(() => aggregate.Data);
    }

    [Fact]
    public void Clear_ForgetsTheOpenAggregate()
    {
        using var sut = CreateSut();
        sut.TryAdd(Record("k", "x"));

        sut.Clear();

        Assert.Equal(0, sut.Count);
        Assert.Equal(0, sut.SizeBytes);
    }

    [Theory]
    [InlineData(63)]
    [InlineData(MiB + 1)]
    public void Options_AggregateSizeOutOfRange_NamesTheOption(int size)
    {
        var error = Assert.Throws<StorageOptionsException>(() => new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = size }));

        Assert.Equal("KplAggregatorOptions.MaxAggregateSize", error.OptionName);
        Assert.Contains("64–1048576", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_RecordCountBelowOne_NamesTheOption()
    {
        var error = Assert.Throws<StorageOptionsException>(() => new KplAggregator(new KplAggregatorOptions { MaxUserRecordsPerAggregate = 0 }));

        Assert.Equal("KplAggregatorOptions.MaxUserRecordsPerAggregate", error.OptionName);
    }
}
