using System.Text;
using System.Text.Json;
using StreamFunctions.Local.EventSourceMapping.Destinations;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Destinations;

public sealed class OnFailureRecordJsonTests
{
    // AWS's documented example (lambda/latest/dg/kinesis-on-failure-destination, SQS/SNS record).
    private const string DocumentedExample = """
        {
            "requestContext": {
                "requestId": "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
                "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 1
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled"
            },
            "version": "1.0",
            "timestamp": "2019-11-14T00:38:06.021Z",
            "KinesisBatchInfo": {
                "shardId": "shardId-000000000001",
                "startSequenceNumber": "49601189658422359378836298521827638475320189012309704722",
                "endSequenceNumber": "49601189658422359378836298522902373528957594348623495186",
                "approximateArrivalOfFirstRecord": "2019-11-14T00:38:04.835Z",
                "approximateArrivalOfLastRecord": "2019-11-14T00:38:05.580Z",
                "batchSize": 500,
                "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/mystream"
            }
        }
        """;

    internal static OnFailureRecord DocumentedRecord(ReadOnlyMemory<byte>? payload = null) => new(
        new OnFailureRequestContext("c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5", "arn:aws:lambda:us-east-2:123456789012:function:myfunction", OnFailureConditions.RetryAttemptsExhausted, 1),
        new OnFailureResponseContext(200, "$LATEST", "Unhandled"),
        DateTimeOffset.Parse("2019-11-14T00:38:06.021Z", System.Globalization.CultureInfo.InvariantCulture),
        new KinesisBatchInfo(
            "shardId-000000000001",
            "49601189658422359378836298521827638475320189012309704722",
            "49601189658422359378836298522902373528957594348623495186",
            DateTimeOffset.Parse("2019-11-14T00:38:04.835Z", System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse("2019-11-14T00:38:05.580Z", System.Globalization.CultureInfo.InvariantCulture),
            500,
            "arn:aws:kinesis:us-east-2:123456789012:stream/mystream"),
        payload);

    [Fact]
    public void Serialize_DocumentedRecord_EqualsAwsExample()
    {
        var json = OnFailureRecordJson.Serialize(DocumentedRecord(), includePayload: false);

        Assert.Equal(Normalize(DocumentedExample), Normalize(Encoding.UTF8.GetString(json)));
    }

    [Fact]
    public void Serialize_WithPayloadForS3_AddsTheEventAsAnEscapedJsonString()
    {
        var json = OnFailureRecordJson.Serialize(DocumentedRecord(Encoding.UTF8.GetBytes("""{"Records":[]}""")), includePayload: true);

        using var document = JsonDocument.Parse(json);
        Assert.Equal("""{"Records":[]}""", document.RootElement.GetProperty("payload").GetString());
    }

    [Fact]
    public void ObjectKey_FollowsLambdasS3NamingConvention()
    {
        var key = S3OnFailureDestination.ObjectKey(
            Guid.Parse("0f2d6c3e-55a7-4b4f-9a7c-1f7a3b9e2d10"),
            "shardId-000000000001",
            DateTimeOffset.Parse("2019-11-04T09:05:06.021Z", System.Globalization.CultureInfo.InvariantCulture),
            Guid.Parse("11111111-2222-3333-4444-555555555555"));

        Assert.Equal("aws/lambda/0f2d6c3e-55a7-4b4f-9a7c-1f7a3b9e2d10/shardId-000000000001/2019/11/04/2019-11-04T09.05.06-11111111-2222-3333-4444-555555555555", key);
    }

    private static string Normalize(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
