using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Records.Tests.Peers;
using static StreamFunctions.Records.Tests.Kpl.KplTestData;

namespace StreamFunctions.Records.Tests.Kpl;

/// <summary>Interop both ways with AWS's reference aggregation, npm aws-kinesis-agg 4.2.8.</summary>
[Collection(KplPeerCollection.Name)]
public sealed class KplInteropTests(KplPeer peer)
{
    private const int MiB = 1024 * 1024;

    private static PeerLine ToPeer(UserRecord record) => new()
    {
        PartitionKey = record.PartitionKey.AsString(),
        ExplicitHashKey = record.ExplicitHashKey.AsString(),
        Data = Convert.ToBase64String(record.Data.Span),
    };

    private static List<UserRecord> DecodePeerOutput(IReadOnlyList<PeerLine> kinesisRecords)
    {
        Assert.All(kinesisRecords, r => Assert.Null(r.Error));
        var output = new List<UserRecord>();
        foreach (var record in kinesisRecords)
        {
            KplDeaggregator.Deaggregate(record.Bytes, record.PartitionKey, output);
        }

        return output;
    }

    private async Task<List<PeerLine>> PeerDeaggregate(IEnumerable<KinesisAggregate> aggregates)
    {
        var lines = await peer.DeaggregateAsync(aggregates.Select(a => new PeerLine { PartitionKey = a.PartitionKey, Data = Convert.ToBase64String(a.Data.Span) }));
        return [.. lines];
    }

    private static void AssertPeerDecodedExactly(IReadOnlyList<UserRecord> expected, List<PeerLine> decoded)
    {
        Assert.All(decoded, d => Assert.Null(d.Error));
        Assert.Equal(expected.Count, decoded.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].PartitionKey.AsString(), decoded[i].PartitionKey);
            Assert.True(expected[i].Data.Span.SequenceEqual(decoded[i].Bytes), $"record {i}: data differs");

            // The peer reports table entry 0 for a record without an explicit_hash_key_index (protobufjs
            // fills the absent optional field with 0), so only keys that were set can be compared.
            if (expected[i].ExplicitHashKey.HasValue)
            {
                Assert.Equal(expected[i].ExplicitHashKey.AsString(), decoded[i].ExplicitHashKey);
            }
        }
    }

    [Fact]
    public async Task Deaggregate_WhatThePeerAggregated_GivesTheRecordsExactly()
    {
        var records = RandomRecords(seed: 11, count: 6000, minBytes: 0, maxBytes: 1200, distinctKeys: 40, hashKeyShare: 0.3);

        var kinesis = await peer.AggregateAsync(records.Select(ToPeer));

        Assert.True(kinesis.Count >= 3, $"the peer made {kinesis.Count} Kinesis records of {records.Sum(r => r.Data.Length)} bytes");
        var decoded = DecodePeerOutput(kinesis);
        AssertSameRecords(records, decoded);
        Assert.Equal(records.Count, decoded.Count(r => r.IsAggregated));
    }

    [Fact]
    public async Task PeerDeaggregate_WhatWeAggregated_GivesTheRecordsExactly()
    {
        var records = RandomRecords(seed: 12, count: 6000, minBytes: 0, maxBytes: 1200, distinctKeys: 40, hashKeyShare: 0.3);
        using var aggregator = new KplAggregator();
        var aggregates = new List<KinesisAggregate>();
        aggregator.AddRange(records.ToArray(), aggregates);

        var decoded = await PeerDeaggregate(aggregates);

        Assert.True(aggregates.Count >= 3);
        AssertPeerDecodedExactly(records, decoded);
        var subSequence = decoded.GroupBy(d => d.Record).SelectMany(g => g.Select((d, i) => (d.SubSequenceNumber, i)));
        Assert.All(subSequence, s => Assert.Equal(s.i, s.SubSequenceNumber));
    }

    [Fact]
    public async Task LargeRecords_SplitPastOneMebibyte_RoundTripBothWays()
    {
        // 100–400 KB records: every Kinesis record holds only a few, so each split decision matters.
        var records = RandomRecords(seed: 13, count: 24, minBytes: 100_000, maxBytes: 400_000, distinctKeys: 5);
        using var aggregator = new KplAggregator();
        var ours = new List<KinesisAggregate>();
        aggregator.AddRange(records.ToArray(), ours);

        var theirs = await peer.AggregateAsync(records.Select(ToPeer));
        var decodedByPeer = await PeerDeaggregate(ours);

        AssertSameRecords(records, DecodePeerOutput(theirs));
        AssertPeerDecodedExactly(records, decodedByPeer);
        Assert.True(ours.Count >= 5);
        Assert.All(ours, a => Assert.InRange(a.SizeBytes, 1, MiB));
        Assert.Equal(theirs.Count, ours.Count);
    }

    [Fact]
    public async Task Aggregate_AtTheOneMebibyteEdge_CountsThePartitionKeyWhereThePeerDoesNot()
    {
        // The peer fills the protobuf to 1 MiB − 20 without counting the Kinesis record's partition key,
        // which Kinesis counts: here its record holds 1 MiB of data plus the key, and Kinesis would reject it.
        UserRecord[] records = [Record("k", new byte[100]), Record("k", new byte[1_048_437])];

        var theirs = await peer.AggregateAsync(records.Select(ToPeer));
        using var aggregator = new KplAggregator();
        var ours = new List<KinesisAggregate>();
        aggregator.AddRange(records, ours);

        var theirRecord = Assert.Single(theirs);
        Assert.Equal(MiB, theirRecord.Bytes.Length);
        Assert.Equal(2, ours.Count);
        Assert.All(ours, a => Assert.InRange(a.SizeBytes, 1, MiB));
        AssertPeerDecodedExactly(records, await PeerDeaggregate(ours));
    }

    [Fact]
    public async Task Aggregate_RecordTooLargeToAggregate_PeerRejectsItWeSendItAloneAndThePeerReadsIt()
    {
        UserRecord[] records = [Record("k", "small"), Record("big", new byte[MiB - 3]), Record("k", "after")];

        var theirs = await peer.AggregateAsync(records.Select(ToPeer));
        using var aggregator = new KplAggregator();
        var ours = new List<KinesisAggregate>();
        aggregator.AddRange(records, ours);

        Assert.Contains(theirs, t => t.Error?.Contains("too large to fit inside a single Kinesis record", StringComparison.Ordinal) == true);
        Assert.Equal(3, ours.Count);
        Assert.False(ours[1].IsAggregated);
        Assert.Equal(MiB, ours[1].SizeBytes);
        AssertPeerDecodedExactly(records, await PeerDeaggregate(ours));
    }

    [Fact]
    public async Task Aggregate_EmptyPartitionKey_BothRejectWithAClearError()
    {
        var theirs = await peer.AggregateAsync([new PeerLine { PartitionKey = string.Empty, Data = "AA==" }]);
        using var aggregator = new KplAggregator();

        var error = Assert.Throws<InvalidUserRecordException>(() => aggregator.TryAdd(Record(string.Empty, "x")));

        Assert.Contains("partitionKey field is mandatory", Assert.Single(theirs).Error, StringComparison.Ordinal);
        Assert.Contains("empty partition key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aggregate_SameRecords_SameBytesAsThePeer()
    {
        var records = RandomRecords(seed: 14, count: 500, minBytes: 0, maxBytes: 300, distinctKeys: 30, hashKeyShare: 0.5);
        // The peer gives the Kinesis record an explicit hash key only when the first record has one.
        records[0] = new UserRecord(records[0].PartitionKey, records[0].Data, "12345678901234567890");
        using var aggregator = new KplAggregator();
        var ours = new List<KinesisAggregate>();
        aggregator.AddRange(records.ToArray(), ours);

        var theirs = await peer.AggregateAsync(records.Select(ToPeer));

        var theirRecord = Assert.Single(theirs);
        var ourRecord = Assert.Single(ours);
        Assert.Equal(theirRecord.Bytes, ourRecord.Data.ToArray());
        Assert.Equal(theirRecord.PartitionKey, ourRecord.PartitionKey);
        Assert.Equal(theirRecord.ExplicitHashKey, ourRecord.ExplicitHashKey);
    }

    [Fact]
    public async Task Deaggregate_CorruptAggregate_BothReportTheChecksum()
    {
        using var aggregator = new KplAggregator();
        var ours = new List<KinesisAggregate>();
        aggregator.AddRange(RandomRecords(seed: 15, count: 50, minBytes: 10, maxBytes: 50).ToArray(), ours);
        var corrupt = ours[0].Data.ToArray();
        corrupt[corrupt.Length / 2] ^= 0x40;

        var theirs = await peer.DeaggregateAsync([new PeerLine { PartitionKey = "k", Data = Convert.ToBase64String(corrupt) }]);
        var error = Assert.Throws<KplFormatException>(() => KplDeaggregator.Deaggregate(corrupt, "k", []));

        Assert.Equal("Invalid record checksum", Assert.Single(theirs).Error);
        Assert.Equal(KplFormatError.ChecksumMismatch, error.Error);
    }
}
