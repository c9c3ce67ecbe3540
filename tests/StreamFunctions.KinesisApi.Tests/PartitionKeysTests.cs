namespace StreamFunctions.KinesisApi.Tests;

public sealed class PartitionKeysTests
{
    [Theory]
    [InlineData("k", PartitionKeyProblem.None)]
    [InlineData("€uro-\U0001F600", PartitionKeyProblem.None)]
    [InlineData(null, PartitionKeyProblem.Missing)]
    [InlineData("", PartitionKeyProblem.Length)]
    public void Check_KinesisRule(string? key, PartitionKeyProblem expected) =>
        Assert.Equal(expected, PartitionKeys.Check(key));

    [Fact]
    public void Check_LoneSurrogate_IsNotUnicode()
    {
        // Not theory data: xUnit would carry a lone surrogate through UTF-8 and change it.
        Assert.Equal(PartitionKeyProblem.Unicode, PartitionKeys.Check("a\uD800"));
        Assert.Equal(PartitionKeyProblem.Unicode, PartitionKeys.Check("\uDC00a"));
        Assert.Equal(PartitionKeyProblem.Unicode, PartitionKeys.Check("\uDE00\uD83D"));
    }

    [Fact]
    public void Check_256CharactersTaken257Not_CountedAsKinesisCountsThemNotInBytes()
    {
        // 256 × '€' is 768 bytes of UTF-8: the limit is on characters (the record's size counts the bytes).
        Assert.Equal(PartitionKeyProblem.None, PartitionKeys.Check(new string('€', 256)));
        Assert.Equal(PartitionKeyProblem.Length, PartitionKeys.Check(new string('k', 257)));
        Assert.Equal("the partition key has 257 characters; Kinesis takes 1 to 256", PartitionKeys.Describe(PartitionKeyProblem.Length, new string('k', 257)));
    }
}
