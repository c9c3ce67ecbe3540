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

/// <summary>Source detection by a forward scan: every sample, events whose deciding member comes last, and no document built.</summary>
public sealed class LambdaEventSourceScanTests
{
    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "events", "samples" })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, folder), "*.json").Order(StringComparer.Ordinal))
            {
                data.Add(Path.Combine(folder, Path.GetFileName(file)));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Of_EverySample_SameAsTheDocumentReading(string sample)
    {
        var json = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, sample));

        Assert.Equal(ByDocument(json), LambdaEventSource.Of(json));
        Assert.Equal(DetailTypeByDocument(json), LambdaEventSource.DetailTypeOf(json));
    }

    [Fact]
    public void Of_SixMegabyteKafkaEventWithItsEventSourceAtTheEnd_Detected()
    {
        var value = Convert.ToBase64String(new byte[4_400_000]);
        var json = Encoding.UTF8.GetBytes($$"""{"bootstrapServers":"b:9092","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"timestamp":1,"value":"{{value}}"}]},"eventSource":"SelfManagedKafka"}""");
        Assert.True(json.Length > 5_800_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var source = LambdaEventSource.Of(json);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("SelfManagedKafka", source);
        Assert.InRange(allocated, 0, 4096);
    }

    [Theory]
    [InlineData("""{"eventSource":"aws:kafka","eventSource":7,"Records":[{"eventSource":"aws:kinesis"}]}""")]
    [InlineData("""{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:s3"}]}""")]
    [InlineData("""{"Records":[{"eventSource":"aws:sqs"}],"Records":[]}""")]
    [InlineData("""{"Records":[1,{"eventSource":"aws:sqs"}],"eventSourceARN":"arn:aws:kinesis:r:1:stream/s"}""")]
    [InlineData("""{"records":7,"deliveryStreamArn":null}""")]
    [InlineData("""{"invocationId":"i","records":[{"recordId":null}]}""")]
    [InlineData("""{"invocationId":"i","records":[[],{"recordId":"1"}]}""")]
    [InlineData("""{"source":"aws.events","detail-type":null}""")]
    [InlineData("""{"source":"aws.events"}""")]
    [InlineData("""{"eventSource":"aws:kinesis"} x""")]
    [InlineData("""{"eventSource":"aws:kinesis","Records":[{"a":1}""")]
    [InlineData("""  "aws:kinesis"  """)]
    [InlineData("")]
    [InlineData("""{"eventSource":"a\u00e9"}""")]
    public void Of_Shapes_SameAsTheDocumentReading(string text)
    {
        var json = Encoding.UTF8.GetBytes(text);

        Assert.Equal(ByDocument(json), LambdaEventSource.Of(json));
        Assert.Equal(DetailTypeByDocument(json), LambdaEventSource.DetailTypeOf(json));
    }

    [Fact]
    public void Of_NameNotUtf8_NamesNoSource()
    {
        byte[] json = [.. "{\"eventSource\":\"a"u8, 0xFF, .. "\"}"u8];

        Assert.Null(LambdaEventSource.Of(json));
    }

    // What the source was before the scan: the same rules over a JsonDocument of the whole payload.
    private static string? ByDocument(byte[] payload)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("eventSource", out var top) && top.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                return top.GetString();
            }

            if (root.TryGetProperty("Records", out var records) && records.ValueKind == System.Text.Json.JsonValueKind.Array && records.GetArrayLength() > 0
                && records[0].ValueKind == System.Text.Json.JsonValueKind.Object && records[0].TryGetProperty("eventSource", out var source) && source.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                return source.GetString();
            }

            if (root.TryGetProperty("eventSourceARN", out var arn) && arn.ValueKind == System.Text.Json.JsonValueKind.String && arn.GetString()!.Split(':') is [_, _, var service, ..]
                && service is "kinesis" or "dynamodb")
            {
                return "aws:" + service;
            }

            if (root.TryGetProperty("records", out var firehose) && (root.TryGetProperty("deliveryStreamArn", out _)
                || (root.TryGetProperty("invocationId", out _) && firehose.ValueKind == System.Text.Json.JsonValueKind.Array && firehose.GetArrayLength() > 0
                    && firehose[0].ValueKind == System.Text.Json.JsonValueKind.Object && firehose[0].TryGetProperty("recordId", out _))))
            {
                return LambdaEventSource.Firehose;
            }

            return root.TryGetProperty("source", out var eb) && eb.ValueKind == System.Text.Json.JsonValueKind.String && root.TryGetProperty("detail-type", out _) ? eb.GetString() : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string? DetailTypeByDocument(byte[] payload)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && document.RootElement.TryGetProperty("detail-type", out var type) && type.ValueKind == System.Text.Json.JsonValueKind.String
                ? type.GetString()
                : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
