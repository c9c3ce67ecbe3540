using FsCheck;
using FsCheck.Xunit;
using StreamFunctions.Records.Kpl;
using static StreamFunctions.Records.Tests.Kpl.KplTestData;

namespace StreamFunctions.Records.Tests.Kpl;

public sealed class KplPropertyTests
{
    private static UserRecord[] ToRecords(byte[][] payloads, string[] keys, ulong[] hashKeys)
    {
        var records = new UserRecord[payloads.Length];
        for (var i = 0; i < payloads.Length; i++)
        {
            var key = keys.Length == 0 ? "k" : keys[i % keys.Length];
            key = string.IsNullOrEmpty(key) ? "k" : key[..Math.Min(key.Length, 256)];
            if (char.IsSurrogate(key[^1]) || key.Any(char.IsSurrogate))
            {
                key = "s" + i; // lone surrogates are rejected; tested elsewhere
            }

            string? hashKey = hashKeys.Length > 0 && hashKeys[i % hashKeys.Length] % 3 == 0
                ? new UInt128(hashKeys[i % hashKeys.Length], (ulong)i).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : null;
            records[i] = new UserRecord(key, payloads[i] ?? [], hashKey);
        }

        return records;
    }

    [Property(MaxTest = 200)]
    public bool DecodeOfEncode_AnyRecords_GivesThemBack(byte[][] payloads, string[] keys, ulong[] hashKeys, byte sizeChoice)
    {
        var records = ToRecords(payloads, keys, hashKeys);
        int[] sizes = [64, 200, 1000, 64 * 1024, 1024 * 1024];
        using var aggregator = new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = sizes[sizeChoice % sizes.Length] });
        var aggregates = new List<KinesisAggregate>();

        aggregator.AddRange(records, aggregates);
        var decoded = DecodeAll(aggregates);

        AssertSameRecords(records, decoded);
        return aggregates.All(a => a.SizeBytes <= KplFormat.MaxKinesisRecordSize);
    }

    [Property(MaxTest = 100)]
    public bool DecodeOfEncode_OneByOneBuild_EqualsBatchBuild(byte[][] payloads, string[] keys)
    {
        var records = ToRecords(payloads, keys, []);
        using var batch = new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = 500 });
        using var single = new KplAggregator(new KplAggregatorOptions { MaxAggregateSize = 500 });
        var batched = new List<KinesisAggregate>();
        batch.AddRange(records, batched);
        var built = new List<KinesisAggregate>();
        foreach (var record in records)
        {
            if (!single.TryAdd(record))
            {
                built.Add(single.Build());
                single.TryAdd(record);
            }
        }

        if (single.Count > 0)
        {
            built.Add(single.Build());
        }

        return batched.Count == built.Count
            && batched.Zip(built).All(p => p.First.Data.Span.SequenceEqual(p.Second.Data.Span) && p.First.PartitionKey == p.Second.PartitionKey);
    }

    [Property(MaxTest = 300)]
    public bool Deaggregate_ArbitraryBytesAfterMagic_NeverCrashesOrReturnsPartialRecords(byte[] tail, bool fixChecksum)
    {
        var data = fixChecksum ? Aggregate(tail) : [.. KplFormat.Magic, .. tail];
        var output = new List<UserRecord>();
        try
        {
            var count = KplDeaggregator.Deaggregate(data, "o", output);
            return count == output.Count;
        }
        catch (Exceptions.KplFormatException)
        {
            return output.Count == 0;
        }
    }
}
