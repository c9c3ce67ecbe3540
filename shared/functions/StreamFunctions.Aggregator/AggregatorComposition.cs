using Amazon.S3;
using Confluent.Kafka;
using StreamFunctions.Aws;
using StreamFunctions.Formats.Compression;
using StreamFunctions.KinesisApi;
using StreamFunctions.Producers;

namespace StreamFunctions.Aggregator;

/// <summary>
/// Builds the Aggregator function (<see cref="AggregatorFunction"/>) from its environment: the one composition root of
/// the deployed function (<c>functions/Aggregator</c>, with AWS's clients) and of <c>sfn run</c> (in memory). The function is triggered by a Kinesis stream or a Kafka topic (MSK or self-managed), with
/// ParallelizationFactor 1 on Kinesis (the state is per shard; per topic-partition on Kafka).
/// Configuration (environment):
/// <list type="bullet">
/// <item><c>AGGREGATOR_CONFIG</c> or <c>AGGREGATOR_CONFIG_FILE</c>: the aggregation as JSON or YAML (see <see cref="AggregatorConfig"/>).</item>
/// <item><c>AGGREGATOR_STATE_TABLE</c> (required): the state, checkpoints and spills.</item>
/// <item><c>AGGREGATOR_RESULTS</c>: where results go, <c>dynamodb:&lt;table&gt;</c>, <c>s3://&lt;bucket&gt;/&lt;prefix&gt;</c>,
/// <c>kinesis:&lt;stream&gt;</c> or <c>kafka:&lt;topic&gt;</c>; or <c>AGGREGATOR_RESULTS_TABLE</c> for a table. For S3,
/// <c>AGGREGATOR_RESULTS_FORMAT</c> (jsonl, the default, or parquet) and <c>AGGREGATOR_RESULTS_COMPRESSION</c>
/// (gzip by default); for Kafka, <c>KAFKA_BOOTSTRAP_SERVERS</c>, <c>KAFKA_COMPRESSION</c>, <c>KAFKA_PROPERTIES</c>.</item>
/// <item><c>AGGREGATOR_SIDE_OUTPUT_BUCKET</c>, <c>AGGREGATOR_SIDE_OUTPUT_PREFIX</c> (default <c>late/</c>): late and unreadable
/// records; without a bucket they are counted and logged only.</item>
/// </list>
/// With <c>TumblingWindowInSeconds</c> on a Kinesis event source mapping it aggregates Lambda's own processing-time
/// windows instead, the state travelling in the event (spilled to the state table past 600 KB).
/// A failure throws: Lambda retries the batch, which replays on the last committed state.
/// </summary>
public static class AggregatorComposition
{
    /// <summary>Builds the function.</summary>
    /// <param name="environment">Its settings.</param>
    /// <param name="services">Its state store, spill, object store and streams.</param>
    /// <returns>The function, and its event-time aggregation (which a bounded run finishes at the end of its input).</returns>
    /// <exception cref="Aws.Exceptions.AwsConfigurationException">A setting is unusable; the message names it.</exception>
    public static ComposedAggregator Create(IEnvironmentVariables environment, AggregatorServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = new SettingsReader(environment);
        const string Aggregation = "an aggregation as JSON or YAML (name, key, time, window, aggregates: see aggregator.example.json)";
        var config = settings.Parsed("AGGREGATOR_CONFIG", "AGGREGATOR_CONFIG_FILE", AggregatorConfig.Parse, Aggregation)
            ?? throw settings.Invalid("AGGREGATOR_CONFIG", Aggregation + "; or set AGGREGATOR_CONFIG_FILE");
        var stateTable = settings.Required("AGGREGATOR_STATE_TABLE", "the name of the DynamoDB table holding the state, checkpoints and spills");
        const string Targets = "where results go: dynamodb:<table>, s3://<bucket>/<prefix>, kinesis:<stream> or kafka:<topic>";
        var target = settings.Parsed("AGGREGATOR_RESULTS", WindowResultTarget.Parse, Targets)
            ?? (settings.Text("AGGREGATOR_RESULTS_TABLE") is { } table ? new WindowResultTarget(WindowResultTargetKind.DynamoDb, table)
            : throw settings.Invalid("AGGREGATOR_RESULTS", Targets + "; or set AGGREGATOR_RESULTS_TABLE"));
        var format = settings.OneOf("AGGREGATOR_RESULTS_FORMAT", ResultObjectFormat.JsonLines, ("jsonl", ResultObjectFormat.JsonLines), ("json", ResultObjectFormat.JsonLines), ("parquet", ResultObjectFormat.Parquet));
        var compression = new CompressionOptions
        {
            Codec = settings.OneOf("AGGREGATOR_RESULTS_COMPRESSION", CompressionCodec.Gzip, ("none", CompressionCodec.None), ("gzip", CompressionCodec.Gzip), ("zstd", CompressionCodec.Zstd), ("snappy", CompressionCodec.Snappy), ("hadoop-snappy", CompressionCodec.HadoopSnappy)),
        };
        var kafka = target.Kind == WindowResultTargetKind.Kafka ? ProducerSettings.Kafka(settings) : null;
        var sideBucket = settings.Text("AGGREGATOR_SIDE_OUTPUT_BUCKET");
        var sidePrefix = settings.Text("AGGREGATOR_SIDE_OUTPUT_PREFIX", "late/");

        services.Require([
            AwsService.DynamoDB,
            .. sideBucket is not null || target.Kind == WindowResultTargetKind.S3 ? new[] { AwsService.S3 } : [],
            .. target.Kind == WindowResultTargetKind.Kinesis ? new[] { AwsService.Kinesis } : []]);
        ISideOutput? side = sideBucket is null ? null : new S3SideOutput(services.S3(), sideBucket, sidePrefix);
        IWindowResultWriter results = target.Kind switch
        {
            WindowResultTargetKind.DynamoDb => services.DynamoDbResults(target.Name),
            WindowResultTargetKind.S3 => new S3WindowResultWriter(services.S3(), target.Name, target.Prefix, format, compression),
            WindowResultTargetKind.Kinesis => new StreamWindowResultWriter(new KinesisRecordProducer(services.Kinesis(), target.Name, time: services.Time), time: services.Time),
            _ => new StreamWindowResultWriter(new KafkaRecordProducer(new ProducerBuilder<byte[], byte[]>(kafka!.ToConfig()).Build(), target.Name, services.Time), time: services.Time),
        };
        var windows = new StreamWindowAggregator(config, services.StateStore(stateTable), results, side, services.Time, Failpoints.FromEnvironment<AggregatorStage>(environment));
        return new ComposedAggregator(
            new AggregatorFunction(windows, new LambdaTumblingWindowAggregator(config, results, services.Spill(stateTable), side)),
            windows);
    }
}

/// <summary>The Aggregator function, and its event-time aggregation.</summary>
/// <param name="Function">The handler.</param>
/// <param name="Windows">The event-time aggregation inside it, whose <see cref="StreamWindowAggregator.FinishAsync"/> fires every window at a bounded input's end.</param>
public sealed record ComposedAggregator(AggregatorFunction Function, StreamWindowAggregator Windows);

/// <summary>What the Aggregator function stands on (see <see cref="FunctionServices"/>).</summary>
public abstract class AggregatorServices : FunctionServices
{
    /// <summary>The store of each shard's state and checkpoint.</summary>
    /// <param name="table">The table's name (<c>AGGREGATOR_STATE_TABLE</c>).</param>
    /// <returns>The store.</returns>
    public abstract IAggregatorStateStore StateStore(string table);

    /// <summary>Where Lambda tumbling-window state past 600 KB is spilled.</summary>
    /// <param name="table">The table's name (<c>AGGREGATOR_STATE_TABLE</c>).</param>
    /// <returns>The spill.</returns>
    public abstract ISnapshotSpill Spill(string table);

    /// <summary>Results written to a table (with <c>dynamodb:&lt;table&gt;</c> results).</summary>
    /// <param name="table">The table's name.</param>
    /// <returns>The writer.</returns>
    public abstract IWindowResultWriter DynamoDbResults(string table);

    /// <summary>The object store of S3 results and of the side output.</summary>
    /// <returns>The client.</returns>
    public abstract IAmazonS3 S3();

    /// <summary>The Kinesis API of <c>kinesis:&lt;stream&gt;</c> results.</summary>
    /// <returns>The API.</returns>
    public abstract IKinesisApi Kinesis();
}
