using System.Security.Cryptography;
using System.Text;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Records.Tests.Kpl;

/// <summary>Builders for KPL test inputs, including hand-made protobuf for malformed aggregates.</summary>
internal static class KplTestData
{
    public static UserRecord Record(string partitionKey, string data, string? explicitHashKey = null) =>
        new(partitionKey, Encoding.UTF8.GetBytes(data), explicitHashKey);

    public static UserRecord Record(string partitionKey, byte[] data, string? explicitHashKey = null) =>
        new(partitionKey, data, explicitHashKey);

    public static List<UserRecord> RandomRecords(int seed, int count, int minBytes, int maxBytes, int distinctKeys = int.MaxValue, double hashKeyShare = 0)
    {
        var random = new Random(seed);
        var records = new List<UserRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var key = distinctKeys == int.MaxValue ? Convert.ToHexStringLower(RandomBytes(random, 16)) : $"key-{random.Next(distinctKeys)}-ü";
            string? hashKey = random.NextDouble() < hashKeyShare ? new UInt128((ulong)random.NextInt64(), (ulong)random.NextInt64()).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            records.Add(new UserRecord(key, RandomBytes(random, random.Next(minBytes, maxBytes + 1)), hashKey));
        }

        return records;
    }

    public static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    public static List<UserRecord> DecodeAll(IEnumerable<KinesisAggregate> aggregates)
    {
        var output = new List<UserRecord>();
        foreach (var aggregate in aggregates)
        {
            KplDeaggregator.Deaggregate(aggregate.Data, aggregate.PartitionKey, output, aggregate.ExplicitHashKey);
        }

        return output;
    }

    public static void AssertSameRecords(IReadOnlyList<UserRecord> expected, IReadOnlyList<UserRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].PartitionKey == actual[i].PartitionKey, $"record {i}: partition key '{expected[i].PartitionKey}' became '{actual[i].PartitionKey}'");
            Assert.True(expected[i].ExplicitHashKey == actual[i].ExplicitHashKey, $"record {i}: explicit hash key '{expected[i].ExplicitHashKey}' became '{actual[i].ExplicitHashKey}'");
            Assert.True(expected[i].Data.Span.SequenceEqual(actual[i].Data.Span), $"record {i}: data differs");
        }
    }

    /// <summary>Wraps protobuf bytes as an aggregate: magic, bytes, MD5 of the bytes.</summary>
    public static byte[] Aggregate(byte[] protobuf)
    {
        var result = new byte[protobuf.Length + 20];
        KplFormat.Magic.CopyTo(result);
        protobuf.CopyTo(result, 4);
#pragma warning disable CA5351 // the format's checksum
        MD5.HashData(protobuf).CopyTo(result, 4 + protobuf.Length);
#pragma warning restore CA5351
        return result;
    }
}

/// <summary>A minimal protobuf writer for hand-made (and deliberately broken) messages.</summary>
internal sealed class Proto
{
    private readonly List<byte> _bytes = [];

    public Proto Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.Add((byte)value);
        return this;
    }

    public Proto Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    public Proto Field(int field, ulong value) => Tag(field, 0).Varint(value);

    public Proto Field(int field, byte[] value) => Tag(field, 2).Varint((ulong)value.Length).Raw(value);

    public Proto Field(int field, string value) => Field(field, Encoding.UTF8.GetBytes(value));

    public Proto Field(int field, Proto message) => Field(field, message.ToArray());

    public Proto Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];
}
