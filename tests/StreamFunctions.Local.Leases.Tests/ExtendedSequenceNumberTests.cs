namespace StreamFunctions.Local.Leases.Tests;

public sealed class ExtendedSequenceNumberTests
{
    [Fact]
    public void CompareTo_Sentinels_OrderedAsKcl()
    {
        ExtendedSequenceNumber[] ordered =
        [
            ExtendedSequenceNumber.AtTimestamp,
            ExtendedSequenceNumber.TrimHorizon,
            ExtendedSequenceNumber.Latest,
            new("5"),
            new("5", 1),
            new("40"),
            new("49590338271490256608559692538361571095921575989136588898"),
            ExtendedSequenceNumber.ShardEnd,
        ];

        for (var i = 0; i < ordered.Length; i++)
        {
            for (var j = 0; j < ordered.Length; j++)
            {
                Assert.Equal(Math.Sign(i.CompareTo(j)), Math.Sign(ordered[i].CompareTo(ordered[j])));
            }
        }
    }

    [Theory]
    [InlineData("12x", 0, false)]
    [InlineData("", 0, false)]
    [InlineData("12", -1, false)]
    [InlineData("12", 3, true)]
    [InlineData("SHARD_END", 0, true)]
    public void IsValid_Values_AcceptsOnlySequenceNumbersAndSentinels(string sequence, long sub, bool valid)
    {
        Assert.Equal(valid, ExtendedSequenceNumber.IsValid(new ExtendedSequenceNumber(sequence, sub)));
    }
}
