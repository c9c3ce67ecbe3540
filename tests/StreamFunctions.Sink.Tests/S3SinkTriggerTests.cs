using System.Text;
using StreamFunctions.Local.Lambda;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// What triggers the S3Sink, with AWS's own sample events (tests/samples): a scheduled event flushes, any other
/// EventBridge event or an event of another service is refused with a message that says what is accepted and what
/// this event is. The handler runs under the local Runtime API; S3 is never reached (nothing is buffered).
/// </summary>
public sealed class S3SinkTriggerTests
{
    [Fact]
    public async Task Invoke_EventBridgeScheduledEvent_Flushes()
    {
        var result = await InvokeAsync(Sample("aws-lambda-dotnet-scheduled-event.json"));

        Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
        Assert.Contains("\"objects\":\"0\"", Encoding.UTF8.GetString(result.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_Ec2StateChangeEvent_RefusedSayingOnlyScheduledEvents()
    {
        var error = await FailureAsync(Sample("aws-docs-ec2-state-change-event.json"));

        Assert.Contains("an EventBridge scheduled event, source 'aws.events'", error, StringComparison.Ordinal);
        Assert.Contains("this event's source is 'aws.ec2'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"detail-type\": \"AWS API Call via CloudTrail\"", "with detail-type 'AWS API Call via CloudTrail'")]
    [InlineData("\"detail-type\": 7", "with detail-type none")]
    public async Task Invoke_EventBridgeEventFromAwsEventsThatIsNotASchedule_RefusedNamingItsDetailType(string detailType, string named)
    {
        // source aws.events is not enough: only a schedule's events (detail-type "Scheduled Event") flush.
        var scheduled = Encoding.UTF8.GetString(Sample("aws-lambda-dotnet-scheduled-event.json"));
        var other = System.Text.RegularExpressions.Regex.Replace(scheduled, "\"detail-type\"\\s*:\\s*\"Scheduled Event\"", detailType);
        Assert.NotEqual(scheduled, other);

        var error = await FailureAsync(Encoding.UTF8.GetBytes(other));

        Assert.Contains("source 'aws.events' and detail-type 'Scheduled Event'", error, StringComparison.Ordinal);
        Assert.Contains("this event is from 'aws.events' " + named, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_FirehoseSampleWithoutDeliveryStreamArn_NamedAsFirehose()
    {
        var error = await FailureAsync(Sample("aws-lambda-dotnet-kinesis-analytics-firehoseinputpreprocessing-event.json"));

        Assert.Contains("this event's source is 'aws:firehose'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_EventNamingNoSource_SaysWhichFieldsWereLookedFor()
    {
        var error = await FailureAsync("""{"hello":"world"}"""u8.ToArray());

        Assert.Contains("this event's source is not named (it has none of eventSource", error, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_KafkaKeyNotBase64_FailsNamingTheRecordAndTheCause()
    {
        var broken = Encoding.UTF8.GetString(Sample("aws-docs-msk-event.json")).Replace("abcDEFghiJKLmnoPQRstuVWXyz1234==", "abc$", StringComparison.Ordinal);

        var error = await FailureAsync(Encoding.UTF8.GetBytes(broken));

        Assert.Contains("The Kafka event is malformed at $.records.mytopic-0[0].key: 'abc$' is not valid base64: character 3 ('$') is not in the base64 alphabet.", error, StringComparison.Ordinal);
    }

    private static async Task<Lambda.Invocation.LambdaInvocationResult> InvokeAsync(byte[] payload)
    {
        var sink = OfflineSink.Create(new S3SinkOptions { Bucket = "bucket" }, transform: null, DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var function = new InProcessLambdaInvoker(new S3SinkFunction(sink).HandleAsync, new LocalFunctionOptions { FunctionName = "S3Sink", Timeout = TimeSpan.FromSeconds(30) });
        return await function.InvokeAsync(payload);
    }

    private static async Task<string> FailureAsync(byte[] payload)
    {
        var result = await InvokeAsync(payload);
        Assert.False(result.Succeeded);
        using var error = System.Text.Json.JsonDocument.Parse(result.Payload);
        return error.RootElement.GetProperty("errorMessage").GetString()!;
    }

    private static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", name));
}
