using System.Text;
using System.Text.Json;
using StreamFunctions.Aggregator;
using StreamFunctions.BatchProcessing;
using StreamFunctions.Cli.Run;
using StreamFunctions.FailureHandler;
using StreamFunctions.Gateway;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Records;
using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Router;
using StreamFunctions.Sink.Partitioning;
using StreamFunctions.Transform;

namespace StreamFunctions.FuzzTargets;

/// <summary>A decoder of outside input: valid samples, the decode, and its documented errors.</summary>
/// <param name="Id">Its short name on the command line and for its crash folder (<c>kpl</c>, <c>kinesis-event</c>, …).</param>
/// <param name="Name">What it reads.</param>
/// <param name="Samples">Valid inputs the mutations start from.</param>
/// <param name="Decode">The decode, as the platform calls it.</param>
/// <param name="IsDocumentedError">Its documented errors.</param>
public sealed record Decoder(string Id, string Name, IReadOnlyList<byte[]> Samples, Action<byte[]> Decode, Func<Exception, bool> IsDocumentedError)
{
    public override string ToString() => Name;
}

/// <summary>Every decoder that reads input from outside the platform (the local servers' request parsing among them, <see cref="ServerParsers"/>): the fuzz tests and the AFL targets share them.</summary>
public static class Decoders
{
    private static readonly PartitionKeyQuery Query = new(new Dictionary<string, string> { ["type"] = ".type", ["user"] = "$.user.id" });

    public static Decoder Kpl { get; } = new(
        "kpl", "KPL aggregated record",
        [Aggregate(["a", "bb", "{\"n\":1}"], ["k1", "k2", "k1"]), Aggregate([new string('x', 300), ""], ["only", "only"])],
        b => KplDeaggregator.Deaggregate(b, "pk", []),
        e => e is KplFormatException);

    public static Decoder KinesisEvent { get; } = new(
        "kinesis-event", "Kinesis event",
        [Sample("events/kinesis.json"), Sample("events/aggregator-kinesis.json"), Sample("events/kinesis-tumbling-window.json")],
        b =>
        {
            using var batch = KinesisEventReader.Read(b);
        },
        e => e is KinesisEventFormatException);

    public static Decoder KafkaEvent { get; } = Json(
        "kafka-event", "Kafka event (MSK, self-managed)",
        ["events/msk.json", "events/self-managed-kafka.json"],
        b =>
        {
            if (JsonSerializer.Deserialize(b, LambdaEventsJsonContext.Default.KafkaEvent) is { } e)
            {
                _ = EventBatches.From(e);
            }
        });

    public static Decoder FirehoseEvent { get; } = Json(
        "firehose-event", "Firehose transformation event",
        ["events/firehose-transformation.json", "events/firehose-transformation-kinesis-source.json"],
        b => JsonSerializer.Deserialize(b, LambdaEventsJsonContext.Default.KinesisFirehoseEvent));

    public static Decoder SqsEvent { get; } = Json(
        "sqs-event", "SQS event",
        ["events/sqs.json", "events/failure-handler-sqs.json"],
        b =>
        {
            if (JsonSerializer.Deserialize(b, LambdaEventsJsonContext.Default.SQSEvent) is { } e)
            {
                _ = EventBatches.From(e);
            }
        });

    public static Decoder S3Event { get; } = Json("s3-event", "S3 event", ["events/s3-put.json"], b => JsonSerializer.Deserialize(b, LambdaEventsJsonContext.Default.S3Event));

    public static Decoder HttpApiEvent { get; } = Json(
        "http-api-event", "HTTP API / Function URL event",
        ["events/http-api-v2.json", "events/function-url.json"],
        b => JsonSerializer.Deserialize(b, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest));

    public static Decoder EventSource { get; } = new(
        "event-source", "event source detection (any payload)",
        [.. new[] { "kinesis", "msk", "sqs", "s3-put", "http-api-v2", "firehose-transformation", "s3sink-flush" }.Select(n => Sample($"events/{n}.json"))],
        b => LambdaEventSource.Of(b),
        _ => false);

    public static Decoder GatewayBody { get; } = new(
        "gateway-body", "gateway request body",
        [
            """{"records":[{"partitionKey":"u1","data":{"type":"click","n":1}},{"partitionKey":"u2","dataBase64":"aGVsbG8=","idempotencyKey":"id-1"}]}"""u8.ToArray(),
            """{"records":[{"partitionKey":"a","data":{"n":[2,"é"]},"explicitHashKey":"340282366920938463463374607431768211455"}]}"""u8.ToArray(),
        ],
        b => IngestRequestReader.Read(b, "application/json"),
        e => e is IngestRequestException);

    public static Decoder PartitionTemplateText { get; } = Configuration(
        "partition-template", "dynamic-partitioning prefix",
        [
            "data/customer=!{partitionKeyFromQuery:customer}/type=!{partitionKeyFromLambda:type}/!{timestamp:yyyy/MM/dd/HH}/",
            "errors/!{firehose:error-output-type}/!{timestamp:yyyy}/",
            "data/!{partitionKeyFromQuery:customer}/",
        ],
        t => PartitionTemplate.Parse(t, isErrorPrefix: t.StartsWith("errors/", StringComparison.Ordinal)));

    public static Decoder PartitionKeys { get; } = new(
        "partition-keys", "partition keys of a record (jq/JSONPath query)",
        ["""{"type":"click","user":{"id":"u1"},"n":1}"""u8.ToArray(), """{"user":{"id":7},"type":"view","list":[1,2,{"a":null}]}"""u8.ToArray()],
        b => Query.Extract(b),
        e => e is PartitioningException);

    public static Decoder PipelineFile { get; } = Configuration(
        "pipeline-config", "pipeline configuration (YAML or JSON)",
        [SampleText("samples/pipeline.example.yaml"), """{"stream":{"shards":2},"sink":{"format":"parquet"}}"""],
        t => PipelineConfig.Parse(t));

    public static Decoder AggregatorConfiguration { get; } = Configuration(
        "aggregator-config", "aggregator configuration",
        [SampleText("samples/aggregator.example.json")],
        t => AggregatorConfig.Parse(t));

    public static Decoder RoutingConfiguration { get; } = Configuration(
        "routing-rules", "routing rules",
        [SampleText("samples/rules.example.json")],
        t => RoutingRules.Parse(t));

    public static Decoder TransformConfiguration { get; } = Configuration(
        "transform-config", "transformation configuration",
        [SampleText("samples/transform.example.json")],
        t => JsonProjectionTransform.Parse(t));

    public static Decoder OnFailureRecord { get; } = new(
        "on-failure-record", "Kinesis on-failure record",
        [OnFailureSample()],
        b => DiscardedBatch.Parse(b),
        e => e is FormatException);

    public static IReadOnlyList<Decoder> All { get; } =
    [
        Kpl, KinesisEvent, KafkaEvent, FirehoseEvent, SqsEvent, S3Event, HttpApiEvent, EventSource, GatewayBody,
        PartitionTemplateText, PartitionKeys, PipelineFile, AggregatorConfiguration, RoutingConfiguration, TransformConfiguration, OnFailureRecord,
        .. ServerParsers.All,
    ];

    /// <summary>The decoder of that name.</summary>
    public static Decoder Named(string name) => All.Single(d => d.Name == name);

    /// <summary>The decoder with that short name (<see cref="Decoder.Id"/>).</summary>
    /// <exception cref="ArgumentException">No such target.</exception>
    public static Decoder ById(string id) =>
        All.SingleOrDefault(d => d.Id == id) ?? throw new ArgumentException($"Unknown target '{id}': one of {string.Join(", ", All.Select(d => d.Id))}.", nameof(id));

    /// <summary>A sample file copied beside the assembly (events, examples).</summary>
    public static byte[] Sample(string relative) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, relative));

    private static string SampleText(string relative) => Encoding.UTF8.GetString(Sample(relative));

    // System.Text.Json's documented failure is JsonException (malformed JSON, a wrong type, bad base64); the event types
    // add theirs, and EventBatches.From an ArgumentException naming what a record lacks.
    private static Decoder Json(string id, string name, string[] samples, Action<byte[]> decode) =>
        new(id, name, [.. samples.Select(Sample)], decode, e => e is JsonException or LambdaEventException || e.GetType() == typeof(ArgumentException));

    // Configuration text: its documented failure is a FormatException saying where.
    private static Decoder Configuration(string id, string name, string[] samples, Action<string> parse) =>
        new(id, name, [.. samples.Select(Encoding.UTF8.GetBytes)], b => parse(Encoding.UTF8.GetString(b)), e => e is FormatException);

    private static byte[] Aggregate(string[] payloads, string[] keys)
    {
        using var aggregator = new KplAggregator();
        var aggregates = new List<KinesisAggregate>();
        aggregator.AddRange([.. payloads.Select((p, i) => new UserRecord(keys[i], Encoding.UTF8.GetBytes(p)))], aggregates);
        return aggregates[0].Data.ToArray();
    }

    private static byte[] OnFailureSample()
    {
        using var sqs = JsonDocument.Parse(Sample("events/failure-handler-sqs.json"));
        return Encoding.UTF8.GetBytes(sqs.RootElement.GetProperty("Records")[0].GetProperty("body").GetString()!);
    }
}
