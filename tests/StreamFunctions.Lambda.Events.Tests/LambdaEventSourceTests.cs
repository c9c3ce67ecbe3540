using System.Text;

namespace StreamFunctions.Lambda.Events.Tests;

/// <summary>Telling an event's source from its JSON, on the documented samples and the shapes they leave out.</summary>
public sealed class LambdaEventSourceTests
{
    [Theory]
    [InlineData("kinesis.json", "aws:kinesis")]
    [InlineData("kinesis-tumbling-window.json", "aws:kinesis")]
    [InlineData("msk.json", "aws:kafka")]
    [InlineData("self-managed-kafka.json", "SelfManagedKafka")]
    [InlineData("sqs.json", "aws:sqs")]
    [InlineData("failure-handler-sqs.json", "aws:sqs")]
    [InlineData("s3-put.json", "aws:s3")]
    [InlineData("firehose-transformation.json", LambdaEventSource.Firehose)]
    [InlineData("s3sink-flush.json", null)]
    public void Of_Sample_NamesItsSource(string sample, string? expected) =>
        Assert.Equal(expected, LambdaEventSource.Of(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "events", sample))));

    [Theory]
    [InlineData("arn:aws:kinesis:us-east-1:123456789012:stream/clicks", "aws:kinesis")]
    [InlineData("arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-11-23T00:00:00.000", "aws:dynamodb")]
    public void Of_TumblingWindowFinalInvocationWithoutRecords_NamesTheStreamsService(string arn, string expected)
    {
        var final = $$"""{"Records":[],"window":{"start":"2026-11-23T10:00:00Z","end":"2026-11-23T10:01:00Z"},"state":{},"shardId":"shardId-000000000000","eventSourceARN":"{{arn}}","isFinalInvokeForWindow":true,"isWindowTerminatedEarly":false}""";

        Assert.Equal(expected, LambdaEventSource.Of(Encoding.UTF8.GetBytes(final)));
    }

    [Theory]
    [InlineData("aws-lambda-go-kinesis-firehose-event.json", LambdaEventSource.Firehose)]
    [InlineData("aws-lambda-dotnet-kinesis-analytics-firehoseinputpreprocessing-event.json", LambdaEventSource.Firehose)]
    [InlineData("aws-docs-msk-event.json", "aws:kafka")]
    [InlineData("aws-lambda-dotnet-scheduled-event.json", LambdaEventSource.EventBridge)]
    [InlineData("aws-docs-ec2-state-change-event.json", "aws.ec2")]
    public void Of_SampleFromAwsProjects_NamesItsSource(string sample, string expected) =>
        Assert.Equal(expected, LambdaEventSource.Of(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", sample))));

    [Fact]
    public void Describe_NoSource_NamesTheFieldsLookedFor()
    {
        Assert.Equal("'aws:sqs'", LambdaEventSource.Describe("aws:sqs"));
        var none = LambdaEventSource.Describe(LambdaEventSource.Of("""{"invocationId":"x","records":[]}"""u8.ToArray()));

        Assert.DoesNotContain("unknown", none, StringComparison.Ordinal);
        foreach (var field in new[] { "eventSource", "Records[0]", "eventSourceARN", "deliveryStreamArn", "invocationId", "records[0].recordId", "detail-type" })
        {
            Assert.Contains(field, none, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Of_EventBridgeScheduleAndNonObjects()
    {
        Assert.Equal(LambdaEventSource.EventBridge, LambdaEventSource.Of("""{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}"""u8.ToArray()));
        Assert.Null(LambdaEventSource.Of("[1,2]"u8.ToArray()));
        Assert.Null(LambdaEventSource.Of("not json"u8.ToArray()));
    }
}
