using Confluent.Kafka;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.Kinesis;
using StreamFunctions.Producers;
using StreamFunctions.Storage.Compression;

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
        string Require(string name) => environment.Setting(name) ?? throw new ArgumentException($"Set {name}.");
        var config = AggregatorConfig.Parse(environment.SettingOrFile("AGGREGATOR_CONFIG", "AGGREGATOR_CONFIG_FILE")
            ?? throw new ArgumentException("Set AGGREGATOR_CONFIG (JSON or YAML) or AGGREGATOR_CONFIG_FILE."));
        var settings = AwsSettings.FromEnvironment(environment);
        var clients = new AwsClientFactory(settings);
        var dynamo = clients.CreateDynamoDBClient();
        ISideOutput? side = environment.Setting("AGGREGATOR_SIDE_OUTPUT_BUCKET") is { } bucket
            ? new S3SideOutput(clients.CreateS3Client(), bucket, environment.Setting("AGGREGATOR_SIDE_OUTPUT_PREFIX") ?? "late/")
            : null;
        var target = environment.Setting("AGGREGATOR_RESULTS") is { } text ? WindowResultTarget.Parse(text)
            : environment.Setting("AGGREGATOR_RESULTS_TABLE") is { } table ? new WindowResultTarget(WindowResultTargetKind.DynamoDb, table)
            : throw new ArgumentException("Set AGGREGATOR_RESULTS (dynamodb:<table>, s3://<bucket>/<prefix>, kinesis:<stream> or kafka:<topic>) or AGGREGATOR_RESULTS_TABLE.");
        IWindowResultWriter results = target.Kind switch
        {
            WindowResultTargetKind.DynamoDb => new DynamoDbWindowResultWriter(dynamo, target.Name),
            WindowResultTargetKind.S3 => new S3WindowResultWriter(
                clients.CreateS3Client(),
                target.Name,
                target.Prefix,
                environment.Setting("AGGREGATOR_RESULTS_FORMAT") switch
                {
                    null or "jsonl" or "json" => ResultObjectFormat.JsonLines,
                    "parquet" => ResultObjectFormat.Parquet,
                    var other => throw new ArgumentException($"AGGREGATOR_RESULTS_FORMAT is jsonl or parquet, not '{other}'."),
                },
                new CompressionOptions { Codec = CompressionOptions.ParseCodec(environment.Setting("AGGREGATOR_RESULTS_COMPRESSION") ?? "gzip", "AGGREGATOR_RESULTS_COMPRESSION") }),
            WindowResultTargetKind.Kinesis => new StreamWindowResultWriter(new KinesisRecordProducer(KinesisClient.Create(settings), target.Name)),
            _ => new StreamWindowResultWriter(new KafkaRecordProducer(
                new ProducerBuilder<byte[], byte[]>(new KafkaProducerOptions
                {
                    BootstrapServers = Require("KAFKA_BOOTSTRAP_SERVERS"),
                    Compression = environment.Setting("KAFKA_COMPRESSION") ?? "lz4",
                    Properties = KafkaProducerOptions.ParseProperties(environment.Setting("KAFKA_PROPERTIES")),
                }.ToConfig()).Build(),
                target.Name)),
        };
        var stateTable = Require("AGGREGATOR_STATE_TABLE");
        return new AggregatorFunction(
            new StreamWindowAggregator(config, new DynamoDbAggregatorStateStore(dynamo, stateTable), results, side, onStage: Failpoints.FromEnvironment<AggregatorStage>(environment)),
            new LambdaTumblingWindowAggregator(config, results, new DynamoDbSnapshotSpill(dynamo, stateTable), side));
    }
}
