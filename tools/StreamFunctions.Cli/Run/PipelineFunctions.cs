using System.Globalization;
using System.Text.Json;
using Amazon.S3;
using Amazon.SQS;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.FailureHandler;
using StreamFunctions.Gateway;
using StreamFunctions.KinesisApi;
using StreamFunctions.Sink;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Transform;

namespace StreamFunctions.Cli.Run;

/// <summary>
/// The pipeline's functions, built as the deployed ones are: the pipeline file becomes each function's environment
/// (the variables <c>template.yaml</c> sets from the same parameters), and each function's own composition root
/// (<see cref="GatewayComposition"/>, <see cref="S3SinkComposition"/>, <see cref="AggregatorComposition"/>,
/// <see cref="FailureHandlerComposition"/>) builds it on the run's backend instead of AWS's clients.
/// </summary>
internal static class PipelineFunctions
{
    /// <summary>The Gateway's environment: the run's stream, the pipeline's producer settings, an API key.</summary>
    public static Dictionary<string, string> GatewayEnvironment(PipelineConfig config, PipelineBackend backend, string apiKeySha256) => new(StringComparer.Ordinal)
    {
        ["DESTINATION"] = "kinesis",
        ["STREAM_NAME"] = backend.StreamName,
        ["KINESIS_AGGREGATE"] = config.GatewayAggregate ? "true" : "false",
        ["ORDERING"] = config.GatewayOrdering,
        ["IDEMPOTENCY_TABLE"] = backend.Table("idempotency"),
        ["GATEWAY_AUTH"] = "apikey",
        ["GATEWAY_API_KEY_SHA256"] = apiKeySha256,
    };

    /// <summary>The S3Sink's environment: the pipeline's sink settings on the run's bucket and state table.</summary>
    public static Dictionary<string, string> S3SinkEnvironment(PipelineConfig config, PipelineBackend backend)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["SINK_BUCKET"] = backend.Bucket,
            ["SINK_STATE_TABLE"] = backend.Table("sink-state"),
            ["SINK_PREFIX"] = config.SinkPrefix,
            ["SINK_ERROR_PREFIX"] = config.SinkErrorPrefix,
            ["SINK_BUFFER_SIZE_MB"] = config.SinkBufferSizeMB.ToString(CultureInfo.InvariantCulture),
            ["SINK_BUFFER_INTERVAL_SECONDS"] = config.SinkBufferIntervalSeconds.ToString(CultureInfo.InvariantCulture),
            ["SINK_FORMAT"] = config.SinkFormat,
            ["SINK_COMPRESSION"] = config.SinkCompression,
            ["SINK_PARTITION_KEYS"] = JsonSerializer.Serialize(config.SinkPartitionKeys, PipelineJsonContext.Default.IReadOnlyDictionaryStringString),
        };
        if (config.Transform is { } transform)
        {
            environment["TRANSFORM_CONFIG"] = transform;
        }

        return environment;
    }

    /// <summary>The Aggregator's environment: the pipeline's aggregation, results and late records under the run's bucket.</summary>
    public static Dictionary<string, string> AggregatorEnvironment(string aggregation, PipelineBackend backend) => new(StringComparer.Ordinal)
    {
        ["AGGREGATOR_CONFIG"] = aggregation,
        ["AGGREGATOR_STATE_TABLE"] = backend.Table("aggregator-state"),
        ["AGGREGATOR_RESULTS"] = $"s3://{backend.Bucket}/{ResultsPrefix}",
        ["AGGREGATOR_SIDE_OUTPUT_BUCKET"] = backend.Bucket,
        ["AGGREGATOR_SIDE_OUTPUT_PREFIX"] = "late/",
    };

    /// <summary>The FailureHandler's environment: the DLQ archive in the run's bucket.</summary>
    public static Dictionary<string, string> FailureHandlerEnvironment(PipelineBackend backend) => new(StringComparer.Ordinal)
    {
        ["DLQ_BUCKET"] = backend.Bucket,
        ["DLQ_PREFIX"] = "dlq",
    };

    /// <summary>Where the aggregator's results go in the run's bucket.</summary>
    public const string ResultsPrefix = "results/";

    public static GatewayFunction Gateway(PipelineConfig config, PipelineBackend backend, string apiKeySha256) =>
        GatewayComposition.Create(EnvironmentVariables.From(GatewayEnvironment(config, backend, apiKeySha256)), new OnBackend.Gateway(backend));

    public static S3SinkFunction S3Sink(PipelineConfig config, PipelineBackend backend) =>
        S3SinkComposition.Create(EnvironmentVariables.From(S3SinkEnvironment(config, backend)), new OnBackend.Sink(backend));

    public static ComposedAggregator Aggregator(string aggregation, PipelineBackend backend) =>
        AggregatorComposition.Create(EnvironmentVariables.From(AggregatorEnvironment(aggregation, backend)), new OnBackend.Aggregator(backend));

    public static FailureHandlerFunction FailureHandler(PipelineBackend backend) =>
        FailureHandlerComposition.Create(EnvironmentVariables.From(FailureHandlerEnvironment(backend)), new OnBackend.Failures(backend));

    // The run's backend in place of AWS's clients: its clients are its own (it disposes them), and nothing is signed for.
    internal static class OnBackend
    {
        public sealed class Gateway(PipelineBackend backend) : GatewayServices
        {
            public override IKinesisApi Kinesis() => backend.Kinesis;

            public override IIdempotencyStore IdempotencyStore(string table, TimeSpan window) => backend.Idempotency(table, window);
        }

        public sealed class Sink(PipelineBackend backend) : S3SinkServices
        {
            public override int? MaxKeySegmentBytes => PipelineBackend.MaxKeySegmentBytes;

            public override IAmazonS3 S3() => backend.S3;

            public override ISinkStateStore StateStore(string table) => backend.SinkState(table);

            public override IRecordTransform TransformFunction(string functionName) =>
                throw new InvalidOperationException("sfn run has no transformation Lambda: the pipeline's sink.transform runs in process.");
        }

        public sealed class Aggregator(PipelineBackend backend) : AggregatorServices
        {
            public override IAggregatorStateStore StateStore(string table) => backend.AggregatorState(table);

            public override ISnapshotSpill Spill(string table) => backend.Spill(table);

            public override IWindowResultWriter DynamoDbResults(string table) =>
                throw new InvalidOperationException("sfn run writes the aggregator's results to its bucket.");

            public override IAmazonS3 S3() => backend.S3;

            public override IKinesisApi Kinesis() => backend.Kinesis;
        }

        public sealed class Failures(PipelineBackend backend) : FailureHandlerServices
        {
            public override IKinesisApi Kinesis() => backend.Kinesis;

            public override IAmazonS3 S3() => backend.S3;

            public override IAmazonSQS Sqs() => throw new InvalidOperationException("sfn run notifies no queue of archived records.");
        }
    }
}
