using System.Numerics;
using FsCheck.Xunit;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.KinesisApi.Tests;

public sealed class HashKeysTests
{
    [Fact]
    public void EvenSplit_TwoShards_CutsAtTwoToThe127()
    {
        var ranges = HashKeys.EvenSplit(2);

        Assert.Equal(UInt128.Zero, ranges[0].StartingHashKey);
        Assert.Equal("170141183460469231731687303715884105727", HashKeys.Format(ranges[0].EndingHashKey));
        Assert.Equal("170141183460469231731687303715884105728", HashKeys.Format(ranges[1].StartingHashKey));
        Assert.Equal(UInt128.MaxValue, ranges[1].EndingHashKey);
    }

    [Fact]
    public void EvenSplit_ThreeShards_MatchesKinesisCreateStream()
    {
        // The ranges Kinesis gives a 3-shard stream (floor(2^128 / 3) keys a shard, the last to 2^128 - 1).
        var ranges = HashKeys.EvenSplit(3);

        Assert.Equal("113427455640312821154458202477256070484", HashKeys.Format(ranges[0].EndingHashKey));
        Assert.Equal("113427455640312821154458202477256070485", HashKeys.Format(ranges[1].StartingHashKey));
        Assert.Equal("226854911280625642308916404954512140969", HashKeys.Format(ranges[1].EndingHashKey));
        Assert.Equal("226854911280625642308916404954512140970", HashKeys.Format(ranges[2].StartingHashKey));
        Assert.Equal(UInt128.MaxValue, ranges[2].EndingHashKey);
    }

    [Property]
    public bool EvenSplit_AnyCount_CoversTheKeySpaceWithoutGapsOrOverlap(byte count)
    {
        var n = count % 200 + 1;
        var ranges = HashKeys.EvenSplit(n);
        if (ranges.Length != n || ranges[0].StartingHashKey != UInt128.Zero || ranges[^1].EndingHashKey != UInt128.MaxValue)
        {
            return false;
        }

        for (var i = 1; i < n; i++)
        {
            if (ranges[i].StartingHashKey != ranges[i - 1].EndingHashKey + 1)
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void FromPartitionKey_KnownKey_IsBigEndianMd5()
    {
        // MD5("a") = 0cc175b9c0f1b6a831c399e269772661.
        var expected = UInt128.Parse("0cc175b9c0f1b6a831c399e269772661", System.Globalization.NumberStyles.HexNumber, null);

        Assert.Equal(expected, HashKeys.FromPartitionKey("a"));
    }

    [Fact]
    public void FromPartitionKey_NonAsciiKey_HashesUtf8()
    {
        // MD5 of the UTF-8 bytes of "é" (C3 A9) = f9f41a8b7a1f8e2e1e9d4a2d45a7a3b6? Computed, not assumed:
        var viaBytes = HashKeys.FromPartitionKey("é"u8);

        Assert.Equal(viaBytes, HashKeys.FromPartitionKey("é"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("340282366920938463463374607431768211456")]
    [InlineData("12a")]
    [InlineData("")]
    public void Parse_OutOfRangeOrMalformed_Throws(string value)
    {
        var error = Assert.Throws<FormatException>(() => HashKeys.Parse(value));
        Assert.Contains("hash key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("7", true)]
    [InlineData("340282366920938463463374607431768211455", true)]
    [InlineData("007", false)]
    [InlineData("00", false)]
    [InlineData("0340282366920938463463374607431768211455", false)]
    [InlineData("+7", false)]
    [InlineData(" 7", false)]
    [InlineData("7 ", false)]
    [InlineData("٧", false)]
    [InlineData("340282366920938463463374607431768211456", false)]
    [InlineData(null, false)]
    public void TryParse_KinesisPattern_ZeroOrDigitsWithoutALeadingZeroUpToTheLargestKey(string? value, bool accepted)
    {
        // PutRecordsRequestEntry.ExplicitHashKey: Pattern 0|([1-9]\d{0,38}); Kinesis refuses the whole call otherwise.
        Assert.Equal(accepted, HashKeys.TryParse(value, out var key));
        Assert.Equal(accepted, value is not null && System.Text.RegularExpressions.Regex.IsMatch(value, @"^(0|([1-9][0-9]{0,38}))\z") && key.ToString(System.Globalization.CultureInfo.InvariantCulture) == value);
    }

    [Fact]
    public void HashKeyRange_Contains_IncludesBothEnds()
    {
        var range = new HashKeyRange(10, 20);

        Assert.True(range.Contains(10));
        Assert.True(range.Contains(20));
        Assert.False(range.Contains(9));
        Assert.False(range.Contains(21));
    }
}

public sealed class SequenceNumbersTests
{
    [Theory]
    [InlineData("9", "10", -1)]
    [InlineData("10", "9", 1)]
    [InlineData("007", "7", 0)]
    [InlineData("49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588899", -1)]
    public void Compare_ComparesAsIntegers(string left, string right, int sign)
    {
        Assert.Equal(sign, Math.Sign(SequenceNumbers.Compare(left, right)));
    }

    [Property]
    public bool Compare_AgreesWithBigInteger(ulong a, ulong b, byte shift)
    {
        var x = new BigInteger(a) << (shift % 64);
        var y = new BigInteger(b) << (shift % 32);
        return Math.Sign(SequenceNumbers.Compare(x.ToString(System.Globalization.CultureInfo.InvariantCulture), y.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            == x.CompareTo(y);
    }

    [Fact]
    public void IsValid_UpToThe129DigitsOfKinesissPattern()
    {
        // Kinesis's pattern for sequence numbers is 0|([1-9]\d{0,128}).
        Assert.True(SequenceNumbers.IsValid("1" + new string('0', 128)));
        Assert.False(SequenceNumbers.IsValid("1" + new string('0', 129)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("12x")]
    [InlineData("-5")]
    public void Compare_NotASequenceNumber_Throws(string value)
    {
        Assert.Throws<FormatException>(() => SequenceNumbers.Compare(value, "1"));
    }
}

public sealed class KinesisArnTests
{
    [Fact]
    public void Parse_StreamArn_ReadsEachPart()
    {
        var arn = KinesisArn.Parse("arn:aws:kinesis:eu-west-1:123456789012:stream/orders");

        Assert.Equal(new KinesisArn("aws", "eu-west-1", "123456789012", "orders"), arn);
        Assert.Equal("arn:aws:kinesis:eu-west-1:123456789012:stream/orders", arn.ToString());
    }

    [Theory]
    [InlineData("arn:aws:sqs:eu-west-1:123456789012:queue")]
    [InlineData("arn:aws:kinesis:eu-west-1:123456789012:stream/")]
    [InlineData("arn:aws:kinesis:eu-west-1:123456789012:stream/a/consumer/b")]
    public void Parse_NotAStreamArn_Throws(string value)
    {
        Assert.Throws<FormatException>(() => KinesisArn.Parse(value));
    }

    [Fact]
    public void StreamNameOf_NameOrArn_ReturnsTheName()
    {
        Assert.Equal("orders", KinesisArn.StreamNameOf("orders"));
        Assert.Equal("orders", KinesisArn.StreamNameOf("arn:aws:kinesis:us-east-1:000000000000:stream/orders"));
    }

    [Fact]
    public void ShardIds_FormatAndParse_RoundTrip()
    {
        Assert.Equal("shardId-000000000007", ShardIds.Format(7));
        Assert.True(ShardIds.TryParse("shardId-000000000007", out var index));
        Assert.Equal(7, index);
        Assert.False(ShardIds.TryParse("shard-7", out _));
    }
}
