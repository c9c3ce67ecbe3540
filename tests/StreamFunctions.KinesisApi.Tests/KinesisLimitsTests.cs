namespace StreamFunctions.KinesisApi.Tests;

// The figures are AWS's, written out here as the documentation states them, not derived from the constants:
// - PutRecords, Amazon Kinesis Data Streams API Reference
//   (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html): "Each PutRecords request can
//   support up to 500 records. Each record in the request can be as large as 1 MiB, up to a limit of 5 MiB for the
//   entire request, including partition keys."
// - PutRecordsRequestEntry / PutRecord (API_PutRecordsRequestEntry.html, API_PutRecord.html): PartitionKey,
//   "Length Constraints: Minimum length of 1. Maximum length of 256."
// - GetRecords (API_GetRecords.html): Limit "Valid Range: Minimum value of 1. Maximum value of 10000"; "The maximum
//   size of data that GetRecords can return is 10 MiB."
public sealed class KinesisLimitsTests
{
    private const int MiB = 1_048_576;

    [Fact]
    public void PutRecordsLimits_AreAwsDocumentedValues()
    {
        Assert.Equal(500, KinesisLimits.MaxRecordsPerRequest);
        Assert.Equal(5 * MiB, KinesisLimits.MaxRequestBytes);
        Assert.Equal(5_242_880, KinesisLimits.MaxRequestBytes);
        Assert.Equal(MiB, KinesisLimits.MaxRecordBytes);
        Assert.Equal(256, KinesisLimits.MaxPartitionKeyLength);
    }

    [Fact]
    public void GetRecordsLimits_AreAwsDocumentedValues()
    {
        Assert.Equal(10_000, KinesisLimits.MaxGetRecordsRecords);
        Assert.Equal(10 * MiB, KinesisLimits.MaxGetRecordsBytes);
    }

    [Fact]
    public void PartitionKeys_CheckRefusesExactlyPastTheLimit()
    {
        Assert.Equal(PartitionKeyProblem.None, PartitionKeys.Check(new string('k', KinesisLimits.MaxPartitionKeyLength)));
        Assert.Equal(PartitionKeyProblem.Length, PartitionKeys.Check(new string('k', KinesisLimits.MaxPartitionKeyLength + 1)));
    }
}
