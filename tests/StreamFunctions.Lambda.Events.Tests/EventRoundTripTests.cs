using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using StreamFunctions.Lambda.Events.Firehose;
using StreamFunctions.Lambda.Events.Kafka;

namespace StreamFunctions.Lambda.Events.Tests;

public sealed class EventRoundTripTests
{
    private static readonly LambdaEventsJsonContext Json = LambdaEventsJsonContext.Default;

    public static TheoryData<string> Samples() => new(
        "kinesis.json", "kinesis-tumbling-window.json", "kinesis-tumbling-window-response.json", "msk.json", "self-managed-kafka.json",
        "firehose-transformation.json", "firehose-transformation-kinesis-source.json", "firehose-transformation-response.json",
        "http-api-v2.json", "http-api-v2-response.json", "function-url.json", "sqs.json", "batch-item-failures-response.json", "s3-put.json",
        "aggregator-kinesis.json", "failure-handler-sqs.json");

    [Theory]
    [MemberData(nameof(Samples))]
    public void RoundTrip_AwsDocumentedExample_KeepsEveryField(string sample)
    {
        var original = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "events", sample));

        var reserialized = sample switch
        {
            "kinesis.json" or "aggregator-kinesis.json" => RoundTrip(original, Json.KinesisEvent),
            "kinesis-tumbling-window.json" => RoundTrip(original, Json.KinesisTimeWindowEvent),
            "kinesis-tumbling-window-response.json" => RoundTrip(original, Json.KinesisTimeWindowResponse),
            "msk.json" or "self-managed-kafka.json" => RoundTrip(original, Json.KafkaEvent),
            "firehose-transformation.json" or "firehose-transformation-kinesis-source.json" => RoundTrip(original, Json.KinesisFirehoseEvent),
            "firehose-transformation-response.json" => RoundTrip(original, Json.KinesisFirehoseResponse),
            "http-api-v2.json" or "function-url.json" => RoundTrip(original, Json.APIGatewayHttpApiV2ProxyRequest),
            "http-api-v2-response.json" => RoundTrip(original, Json.APIGatewayHttpApiV2ProxyResponse),
            "sqs.json" or "failure-handler-sqs.json" => RoundTrip(original, Json.SQSEvent),
            "batch-item-failures-response.json" => RoundTrip(original, Json.StreamsEventResponse),
            "s3-put.json" => RoundTrip(original, Json.S3Event),
            _ => throw new ArgumentOutOfRangeException(nameof(sample), sample, "no contract for this sample"),
        };

        Assert.Null(JsonSemantics.FirstDifference(JsonNode.Parse(original), JsonNode.Parse(reserialized)));
    }

    [Fact]
    public void Deserialize_KinesisSample_DecodesDataAndArrivalTime()
    {
        var kinesis = Read("kinesis.json", Json.KinesisEvent);

        var record = kinesis.Records[0];
        Assert.Equal("Hello, this is a test.", Encoding.UTF8.GetString(record.Kinesis.Data));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1545084650987), record.Kinesis.ApproximateArrivalTimestamp);
        Assert.Equal("arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream", record.EventSourceArn);
        Assert.Equal("shardId-000000000006:49590338271490256608559692538361571095921575989136588898", record.EventId);
    }

    [Fact]
    public void Deserialize_TumblingWindowSample_ReadsWindowAndNumericState()
    {
        var window = Read("kinesis-tumbling-window.json", Json.KinesisTimeWindowEvent);

        Assert.Equal(new DateTimeOffset(2020, 12, 9, 7, 4, 0, TimeSpan.Zero), window.Window!.Start);
        Assert.Equal(715, window.State!["2"].GetInt32());
        Assert.False(window.IsFinalInvokeForWindow);
        Assert.Equal("shardId-000000000006", window.ShardId);
    }

    [Fact]
    public void Deserialize_MskSample_GroupsByTopicPartitionAndDecodesHeaders()
    {
        var kafka = Read("msk.json", Json.KafkaEvent);

        var record = Assert.Single(kafka.Records["mytopic-0"]);
        Assert.Equal(15, record.Offset);
        Assert.Equal("headerValue", Encoding.UTF8.GetString(record.GetHeader("headerKey")!));
        Assert.Equal("Hello, this is a test.", Encoding.UTF8.GetString(record.Value!));
    }

    [Fact]
    public void Serialize_KafkaHeaderWithHighBytes_WritesJavaSignedBytes()
    {
        var record = new KafkaEventRecord { Headers = [new Dictionary<string, sbyte[]> { ["h"] = [-1, 127] }] };

        var json = JsonSerializer.Serialize(record, LambdaEventsJsonContext.Default.Options.GetTypeInfo(typeof(KafkaEventRecord)));

        Assert.Contains("\"h\":[-1,127]", json, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 255, 127 }, record.GetHeader("h"));
    }

    [Fact]
    public void Deserialize_FirehoseResponseSample_ReadsResultsAndPartitionKeys()
    {
        var response = Read("firehose-transformation-response.json", Json.KinesisFirehoseResponse);

        Assert.Equal([KinesisFirehoseResponse.Ok, KinesisFirehoseResponse.Dropped, KinesisFirehoseResponse.ProcessingFailed], response.Records.Select(r => r.Result));
        Assert.Equal("4711", response.Records[0].Metadata!.PartitionKeys!["customer_id"]);
    }

    [Fact]
    public void Deserialize_FunctionUrlSample_ReadsIamAuthorizer()
    {
        var request = Read("function-url.json", Json.APIGatewayHttpApiV2ProxyRequest);

        Assert.Equal("arn:aws:iam::111122223333:user/example-user", request.RequestContext!.Authorizer!.Iam!.UserArn);
        Assert.Equal("POST", request.RequestContext.Http!.Method);
        Assert.Null(request.PathParameters);
    }

    [Fact]
    public void Deserialize_SqsSample_ReadsMessageAttributes()
    {
        var sqs = Read("sqs.json", Json.SQSEvent);

        Assert.Equal("myValue", sqs.Records[0].MessageAttributes!["myAttribute"].StringValue);
        Assert.Equal("1545082650636", sqs.Records[1].Attributes!["SentTimestamp"]);
    }

    [Fact]
    public void Deserialize_S3Sample_DecodesTheKey()
    {
        var s3 = Read("s3-put.json", Json.S3Event);

        Assert.Equal("example-bucket", s3.Records[0].S3.Bucket.Name);
        Assert.Equal("test/key", s3.Records[0].S3.Object.DecodedKey);
    }

    [Fact]
    public void Deserialize_KinesisDataNotBase64_ThrowsJsonException()
    {
        const string bad = """{"Records":[{"kinesis":{"data":"not base64!","approximateArrivalTimestamp":1}}]}""";

        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(bad, Json.KinesisEvent));
    }

    private static string RoundTrip<T>(string json, JsonTypeInfo<T> type) =>
        JsonSerializer.Serialize(JsonSerializer.Deserialize(json, type)!, type);

    private static T Read<T>(string sample, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "events", sample)), type)!;
}
