namespace StreamFunctions.FailureHandler.Tests;

public sealed class DiscardedBatchTests
{
    [Fact]
    public void Parse_AwsKinesisOnFailureRecord_ReadsTheBatch()
    {
        // The shape AWS documents for a Kinesis on-failure (SQS/SNS) destination record.
        var json = """
            {"requestContext":{"requestId":"c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5","functionArn":"arn:aws:lambda:us-east-2:123456789012:function:myfunction","condition":"RetryAttemptsExhausted","approximateInvokeCount":1},
             "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
             "version":"1.0","timestamp":"2019-11-14T00:13:49.717Z",
             "KinesisBatchInfo":{"shardId":"shardId-000000000001","startSequenceNumber":"49601189658422359378836298521827638475320189012309704722","endSequenceNumber":"49601189658422359378836298522902373528957594348623495186","approximateArrivalOfFirstRecord":"2019-11-14T00:12:53.435Z","approximateArrivalOfLastRecord":"2019-11-14T00:12:53.435Z","batchSize":500,"streamArn":"arn:aws:kinesis:us-east-2:123456789012:stream/mystream"}}
            """u8;

        var batch = DiscardedBatch.Parse(json);

        Assert.Equal("arn:aws:kinesis:us-east-2:123456789012:stream/mystream", batch.StreamArn);
        Assert.Equal("shardId-000000000001", batch.ShardId);
        Assert.Equal(500, batch.BatchSize);
        Assert.Equal("RetryAttemptsExhausted", batch.Condition);
        Assert.Equal("Unhandled", batch.FunctionError);
    }

    [Fact]
    public void Parse_NotAKinesisRecord_ThrowsClearError()
    {
        var error = Assert.Throws<FormatException>(() => DiscardedBatch.Parse("""{"requestContext":{}}"""u8));

        Assert.Contains("KinesisBatchInfo", error.Message, StringComparison.Ordinal);
    }
}
