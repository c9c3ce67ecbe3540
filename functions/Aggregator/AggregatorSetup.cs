using Confluent.Kafka;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Producers;

namespace StreamFunctions.Functions.Aggregator;

/// <summary>
/// Builds the Aggregator function (<see cref="AggregatorFunction"/>) from its environment. The function is triggered by a Kinesis stream or a Kafka topic (MSK or self-managed), with
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
internal static class AggregatorSetup
{
    public static AggregatorFunction FromEnvironment(IEnvironmentVariables environment)
    {
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
        var kafka = target.Kind == WindowResultTargetKind.Kafka ? KafkaProducerSettings.Read(settings) : null;
        var sideBucket = settings.Text("AGGREGATOR_SIDE_OUTPUT_BUCKET");
        var sidePrefix = settings.Text("AGGREGATOR_SIDE_OUTPUT_PREFIX", "late/");

        var aws = AwsSettings.FromEnvironment(environment);
        aws.RequireCredentials([
            AwsService.DynamoDB,
            .. sideBucket is not null || target.Kind == WindowResultTargetKind.S3 ? new[] { AwsService.S3 } : [],
            .. target.Kind == WindowResultTargetKind.Kinesis ? new[] { AwsService.Kinesis } : []]);
        var clients = new AwsClientFactory(aws);
        var dynamo = clients.CreateDynamoDBClient();
        ISideOutput? side = sideBucket is null ? null : new S3SideOutput(clients.CreateS3Client(), sideBucket, sidePrefix);
        IWindowResultWriter results = target.Kind switch
        {
            WindowResultTargetKind.DynamoDb => new DynamoDbWindowResultWriter(dynamo, target.Name),
            WindowResultTargetKind.S3 => new S3WindowResultWriter(clients.CreateS3Client(), target.Name, target.Prefix, format, compression),
            WindowResultTargetKind.Kinesis => new StreamWindowResultWriter(new KinesisRecordProducer(KinesisClient.Create(aws), target.Name)),
            _ => new StreamWindowResultWriter(new KafkaRecordProducer(new ProducerBuilder<byte[], byte[]>(kafka!.ToConfig()).Build(), target.Name)),
        };
        return new AggregatorFunction(
            new StreamWindowAggregator(config, new DynamoDbAggregatorStateStore(dynamo, stateTable), results, side, onStage: Failpoints.FromEnvironment<AggregatorStage>(environment)),
            new LambdaTumblingWindowAggregator(config, results, new DynamoDbSnapshotSpill(dynamo, stateTable), side));
    }
}
