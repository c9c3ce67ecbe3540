using System.Text;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl;
using static StreamFunctions.Records.Tests.Kpl.KplTestData;

namespace StreamFunctions.Records.Tests.Kpl;

public sealed class KplDeaggregatorTests
{
    private static readonly DateTimeOffset Arrival = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private static Proto UserRecordMessage(ulong partitionKeyIndex, string data, ulong? hashKeyIndex = null)
    {
        var message = new Proto().Field(1, partitionKeyIndex);
        if (hashKeyIndex is { } h)
        {
            message.Field(2, h);
        }

        return message.Field(3, data);
    }

    [Fact]
    public void Deaggregate_HandMadeAggregate_YieldsRecordsWithKeysAndSubSequenceNumbers()
    {
        var protobuf = new Proto()
            .Field(1, "alpha").Field(1, "beta")
            .Field(2, "1234567890")
            .Field(3, UserRecordMessage(1, "first", 0))
            .Field(3, UserRecordMessage(0, "second"))
            .Field(3, UserRecordMessage(1, "third"))
            .ToArray();
        var output = new List<UserRecord>();

        var count = KplDeaggregator.Deaggregate(Aggregate(protobuf), "outer", output);

        Assert.Equal(3, count);
        Assert.Equal(["beta", "alpha", "beta"], output.Select(r => r.PartitionKey.ToString()));
        Assert.Equal(["first", "second", "third"], output.Select(r => Encoding.UTF8.GetString(r.Data.Span)));
        Assert.Equal([0L, 1L, 2L], output.Select(r => r.SubSequenceNumber));
        Assert.Equal("1234567890", output[0].ExplicitHashKey.ToString());
        Assert.False(output[1].ExplicitHashKey.HasValue);
        Assert.All(output, r => Assert.True(r.IsAggregated));
        Assert.All(output, r => Assert.True(r.PartitionKey.IsUtf8));
    }

    [Fact]
    public void DeaggregateEach_CorruptAggregateInTheMiddle_FailsAloneAndTheOthersDecode()
    {
        var good = Aggregate(new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "a")).Field(3, UserRecordMessage(0, "b")).ToArray());
        var corrupt = (byte[])good.Clone();
        corrupt[^1] ^= 0xFF;
        ReadOnlyMemory<byte>[] records = [good, corrupt, Encoding.UTF8.GetBytes("plain"), good];
        var output = new List<UserRecord>();
        var counts = new int[4];
        var errors = new KplFormatException?[4];

        var total = KplDeaggregator.DeaggregateEach(records, i => $"outer{i}", output, counts, errors);

        Assert.Equal(5, total);
        Assert.Equal([2, 0, 1, 2], counts);
        Assert.Equal(KplFormatError.ChecksumMismatch, errors[1]?.Error);
        Assert.Equal(1, errors[1]?.RecordIndex);
        Assert.Equal([null, null, null], new[] { errors[0], errors[2], errors[3] });
        Assert.Equal(["a", "b", "plain", "a", "b"], output.Select(r => Encoding.UTF8.GetString(r.Data.Span)));
        Assert.Equal("outer2", output[2].PartitionKey.ToString());
    }

    [Fact]
    public void DeaggregateEach_Ranges_SameDataAsTheUserRecordsAndNothingOfAFailedAggregate()
    {
        var good = Aggregate(new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "a")).Field(3, UserRecordMessage(0, "bc")).ToArray());
        var corrupt = (byte[])good.Clone();
        corrupt[^1] ^= 0xFF;
        // Its first user record decodes before the second's key index (5, of a table of 1) fails the aggregate.
        var badIndex = Aggregate(new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "x")).Field(3, UserRecordMessage(5, "y")).ToArray());
        ReadOnlyMemory<byte>[] records = [good, corrupt, Encoding.UTF8.GetBytes("plain"), badIndex, good];
        var ranges = new List<Range>();
        var counts = new int[records.Length];
        var errors = new KplFormatException?[records.Length];
        var users = new List<UserRecord>();
        var userCounts = new int[records.Length];
        var userErrors = new KplFormatException?[records.Length];

        var total = KplDeaggregator.DeaggregateEach(records, ranges, counts, errors);
        KplDeaggregator.DeaggregateEach(records, i => $"outer{i}", users, userCounts, userErrors);

        Assert.Equal(5, total);
        Assert.Equal([2, 0, 1, 0, 2], counts);
        Assert.Equal(userCounts, counts);
        Assert.Equal(KplFormatError.ChecksumMismatch, errors[1]?.Error);
        Assert.Equal(KplFormatError.IndexOutOfRange, errors[3]?.Error);
        Assert.Equal(userErrors.Select(e => e?.Message), errors.Select(e => e?.Message));
        var source = records.SelectMany((r, i) => Enumerable.Repeat(r, counts[i])).ToArray();
        Assert.Equal(["a", "bc", "plain", "a", "bc"], ranges.Select((range, k) => Encoding.UTF8.GetString(source[k][range].Span)));
        Assert.Equal(users.Select(u => Encoding.UTF8.GetString(u.Data.Span)), ranges.Select((range, k) => Encoding.UTF8.GetString(source[k][range].Span)));
    }

    [Fact]
    public void Deaggregate_PlainRecord_PassesThroughAsOneRecordWithTheOuterKey()
    {
        var data = Encoding.UTF8.GetBytes("{\"plain\":true}");
        var output = new List<UserRecord>();

        var count = KplDeaggregator.Deaggregate(new KinesisRecord("49590338271490256608559692538361571095921575989136588898", Arrival, data, "pk-1"), output);

        Assert.Equal(1, count);
        Assert.Equal("pk-1", output[0].PartitionKey.ToString());
        Assert.False(output[0].IsAggregated);
        Assert.Equal(0, output[0].SubSequenceNumber);
        Assert.True(output[0].Data.Span.SequenceEqual(data));
    }

    [Fact]
    public void Deaggregate_TablesAfterRecordsAndUnknownFields_DecodesAsProtobufAllows()
    {
        var protobuf = new Proto()
            .Field(3, UserRecordMessage(0, "x").Field(15, 7UL).Field(16, "ignored"))
            .Field(9, "unknown top-level field")
            .Tag(10, 5).Raw(1, 2, 3, 4)
            .Tag(11, 1).Raw(1, 2, 3, 4, 5, 6, 7, 8)
            .Field(1, "late-key")
            .ToArray();
        var output = new List<UserRecord>();

        KplDeaggregator.Deaggregate(Aggregate(protobuf), "outer", output);

        Assert.Equal("late-key", Assert.Single(output).PartitionKey.ToString());
    }

    [Fact]
    public void Deaggregate_RecordWithTags_SkipsThem()
    {
        var tag = new Proto().Field(1, "env").Field(2, "prod");
        var protobuf = new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "tagged").Field(4, tag)).ToArray();
        var output = new List<UserRecord>();

        KplDeaggregator.Deaggregate(Aggregate(protobuf), "outer", output);

        Assert.Equal("tagged", Encoding.UTF8.GetString(Assert.Single(output).Data.Span));
    }

    [Fact]
    public void Deaggregate_EmptyDataAndEmptyAggregate_AreValid()
    {
        var output = new List<UserRecord>();

        Assert.Equal(1, KplDeaggregator.Deaggregate(Aggregate(new Proto().Field(1, "k").Field(3, UserRecordMessage(0, string.Empty)).ToArray()), "o", output));
        Assert.Equal(0, KplDeaggregator.Deaggregate(Aggregate([]), "o", output));
        Assert.True(Assert.Single(output).Data.IsEmpty);
    }

    [Fact]
    public void Deaggregate_BadChecksum_ThrowsChecksumMismatchAndAddsNothing()
    {
        var bytes = Aggregate(new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "data")).ToArray());
        bytes[^1] ^= 0x01;
        var output = new List<UserRecord> { Record("existing", "kept") };

        var error = Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(bytes, "o", output));

        Assert.Equal(KplFormatError.ChecksumMismatch, error.Error);
        Assert.Contains("MD5", error.Message, StringComparison.Ordinal);
        Assert.Single(output);
    }

    [Fact]
    public void Deaggregate_FlippedDataByte_ThrowsChecksumMismatch()
    {
        var bytes = Aggregate(new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "data")).ToArray());
        bytes[^17] ^= 0x20;

        var error = Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(bytes, "o", []));

        Assert.Equal(KplFormatError.ChecksumMismatch, error.Error);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(19)]
    public void Deaggregate_MagicButTooShort_ThrowsTruncated(int length)
    {
        var bytes = new byte[length];
        KplFormat.Magic.CopyTo(bytes);

        var error = Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(bytes, "o", []));

        Assert.Equal(KplFormatError.Truncated, error.Error);
    }

    [Fact]
    public void Deaggregate_TruncatedAggregate_ThrowsAndNeverReturnsPartialRecords()
    {
        var full = Aggregate(new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "one")).Field(3, UserRecordMessage(0, "two")).ToArray());
        for (var cut = 20; cut < full.Length; cut++)
        {
            var output = new List<UserRecord>();
            Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(full.AsMemory(0, cut), "o", output));
            Assert.Empty(output);
        }
    }

    public static TheoryData<string, byte[], KplFormatError> Malformed => new()
    {
        { "length past the end", new Proto().Tag(1, 2).Varint(50).Raw(1, 2).ToArray(), KplFormatError.MalformedProtobuf },
        { "unterminated varint", new Proto().Raw(0x0A, 0x80, 0x80).ToArray(), KplFormatError.MalformedProtobuf },
        { "table entry as varint", new Proto().Field(1, 5UL).ToArray(), KplFormatError.MalformedProtobuf },
        { "field number zero", new Proto().Raw(0x02, 0x00).ToArray(), KplFormatError.MalformedProtobuf },
        { "group wire type", new Proto().Tag(9, 3).ToArray(), KplFormatError.MalformedProtobuf },
        { "record without data", new Proto().Field(1, "k").Field(3, new Proto().Field(1, 0UL)).ToArray(), KplFormatError.MalformedProtobuf },
        { "record without key index", new Proto().Field(1, "k").Field(3, new Proto().Field(3, "d")).ToArray(), KplFormatError.MalformedProtobuf },
        { "data as varint", new Proto().Field(1, "k").Field(3, new Proto().Field(1, 0UL).Field(3, 1UL)).ToArray(), KplFormatError.MalformedProtobuf },
        { "data past the record", new Proto().Field(1, "k").Field(3, new Proto().Field(1, 0UL).Tag(3, 2).Varint(9).Raw(1)).ToArray(), KplFormatError.MalformedProtobuf },
        { "tag without key", new Proto().Field(1, "k").Field(3, UserRecordMessage(0, "d").Field(4, new Proto().Field(2, "v"))).ToArray(), KplFormatError.MalformedProtobuf },
        { "partition key index out of range", new Proto().Field(1, "k").Field(3, UserRecordMessage(1, "d")).ToArray(), KplFormatError.IndexOutOfRange },
        { "no partition key table", new Proto().Field(3, UserRecordMessage(0, "d")).ToArray(), KplFormatError.IndexOutOfRange },
        { "hash key index out of range", new Proto().Field(1, "k").Field(2, "5").Field(3, UserRecordMessage(0, "d", 1)).ToArray(), KplFormatError.IndexOutOfRange },
        { "huge index", new Proto().Field(1, "k").Field(3, UserRecordMessage(ulong.MaxValue, "d")).ToArray(), KplFormatError.IndexOutOfRange },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Deaggregate_MalformedProtobuf_ThrowsTypedErrorAndAddsNothing(string because, byte[] protobuf, KplFormatError expected)
    {
        var output = new List<UserRecord>();

        var error = Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(Aggregate(protobuf), "o", output));

        Assert.True(expected == error.Error, $"{because}: {error.Error} ({error.Message})");
        Assert.Empty(output);
    }

    [Fact]
    public void Deaggregate_BadIndexInThirdRecord_NamesTheUserRecord()
    {
        var protobuf = new Proto().Field(1, "k")
            .Field(3, UserRecordMessage(0, "a")).Field(3, UserRecordMessage(0, "b")).Field(3, UserRecordMessage(3, "c"))
            .ToArray();
        var output = new List<UserRecord>();

        var error = Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(Aggregate(protobuf), "o", output));

        Assert.Equal(2, error.SubSequenceNumber);
        Assert.Contains("User record 2", error.Message, StringComparison.Ordinal);
        Assert.Empty(output);
    }

    [Fact]
    public void Deaggregate_BatchWithCorruptThirdRecord_KeepsTheFirstTwoAndNamesTheRecord()
    {
        using var aggregator = new KplAggregator();
        var first = new List<KinesisAggregate>();
        aggregator.AddRange([Record("a", "1"), Record("b", "2")], first);
        var good = first[0].Data.ToArray();
        var bad = good.ToArray();
        bad[10] ^= 0xFF;
        var batch = new List<KinesisRecord>
        {
            new("1", Arrival, good, "a"),
            new("2", Arrival, Encoding.UTF8.GetBytes("plain"), "p"),
            new("3", Arrival, bad, "a"),
            new("4", Arrival, good, "a"),
        };
        var output = new List<UserRecord>();

        var error = Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(batch, output));

        Assert.Equal(2, error.RecordIndex);
        Assert.Equal("3", error.SequenceNumber);
        Assert.Equal(KplFormatError.ChecksumMismatch, error.Error);
        Assert.Contains("sequence number 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(["1", "2", "plain"], output.Select(r => Encoding.UTF8.GetString(r.Data.Span)));
    }

    [Fact]
    public void Deaggregate_Batch_EqualsRecordByRecord()
    {
        using var aggregator = new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = 4096 });
        var aggregates = new List<KinesisAggregate>();
        aggregator.AddRange(RandomRecords(seed: 3, count: 300, minBytes: 0, maxBytes: 300, distinctKeys: 20, hashKeyShare: 0.3).ToArray(), aggregates);
        var batch = aggregates.Select((a, i) => new KinesisRecord(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Arrival, a.Data, a.PartitionKey)).ToList();
        var one = new List<UserRecord>();
        foreach (var record in batch)
        {
            KplDeaggregator.Deaggregate(record, one);
        }

        var all = new List<UserRecord>();
        KplDeaggregator.Deaggregate(batch, all);

        AssertSameRecords(one, all);
        Assert.Equal(one.Select(r => r.SubSequenceNumber), all.Select(r => r.SubSequenceNumber));
    }
}
