using System.Globalization;
using System.Text.Json;
using StreamFunctions.Aws;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Sink;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Sink.Transform;
using StreamFunctions.Storage.Compression;

namespace StreamFunctions.Functions.S3Sink;

/// <summary>
/// Builds the S3 sink function (<see cref="S3SinkFunction"/>) from its environment. The function is triggered by a Kinesis stream or a Kafka topic, and by a schedule (an EventBridge
/// event, or <c>{"action": "flush"}</c>) that delivers partitions whose interval passed on shards that
/// receive nothing. Its event source mapping must use ParallelizationFactor 1 (the sink's state is per
/// shard). Configuration (environment):
/// <list type="bullet">
/// <item><c>SINK_BUCKET</c>, <c>SINK_STATE_TABLE</c> (required); <c>SINK_PREFIX</c>, <c>SINK_ERROR_PREFIX</c>,
/// <c>SINK_BACKUP_PREFIX</c>, <c>SINK_STAGING_PREFIX</c>.</item>
/// <item><c>SINK_BUFFER_SIZE_MB</c> (1–128, default 5), <c>SINK_BUFFER_INTERVAL_SECONDS</c> (0–900, default 300).</item>
/// <item><c>SINK_FORMAT</c> (<c>jsonl</c> | <c>parquet</c>), <c>SINK_COMPRESSION</c> (<c>none</c> | <c>gzip</c> | <c>zstd</c> |
/// <c>snappy</c> | <c>hadoop-snappy</c>), <c>SINK_NEWLINE</c> (default true).</item>
/// <item><c>SINK_PARTITION_KEYS</c>: <c>partitionKeyFromQuery</c> keys as JSON, e.g. <c>{"customer": ".customer.id"}</c>;
/// <c>SINK_MAX_ACTIVE_PARTITIONS</c> (default 500).</item>
/// <item>Transformation: <c>TRANSFORM_FUNCTION</c> (a Firehose transformation Lambda, invoked through the Invoke API), or
/// <c>TRANSFORM_CONFIG</c> / <c>TRANSFORM_CONFIG_FILE</c> (the JSON projection, in process).</item>
/// </list>
/// </summary>
internal static class S3SinkSetup
{
    public static S3SinkFunction FromEnvironment(IEnvironmentVariables environment)
    {
        string? Get(string name) => environment.Setting(name);
        string Require(string name) => Get(name) ?? throw new ArgumentException($"Set {name}.");
        var settings = AwsSettings.FromEnvironment(environment);
        var clients = new AwsClientFactory(settings);
        var transformFunction = Get("TRANSFORM_FUNCTION");
        var defaults = new S3SinkOptions();
        var options = new S3SinkOptions
        {
            Bucket = Require("SINK_BUCKET"),
            Prefix = Get("SINK_PREFIX") ?? defaults.Prefix,
            ErrorPrefix = Get("SINK_ERROR_PREFIX") ?? defaults.ErrorPrefix,
            BackupPrefix = Get("SINK_BACKUP_PREFIX"),
            StagingPrefix = Get("SINK_STAGING_PREFIX") ?? defaults.StagingPrefix,
            BufferSizeBytes = (long)(Number(Get("SINK_BUFFER_SIZE_MB"), "SINK_BUFFER_SIZE_MB") ?? 5) * 1024 * 1024,
            BufferInterval = TimeSpan.FromSeconds(Number(Get("SINK_BUFFER_INTERVAL_SECONDS"), "SINK_BUFFER_INTERVAL_SECONDS") ?? 300),
            Format = Get("SINK_FORMAT") switch
            {
                null or "jsonl" or "json" => SinkFormat.JsonLines,
                "parquet" => SinkFormat.Parquet,
                var other => throw new ArgumentException($"SINK_FORMAT is jsonl or parquet, not '{other}'."),
            },
            Compression = new CompressionOptions
            {
                Codec = CompressionOptions.ParseCodec(Get("SINK_COMPRESSION"), "SINK_COMPRESSION"),
            },
            NewlineDelimiter = Get("SINK_NEWLINE") is not { } newline || bool.Parse(newline),
            PartitionKeyQueries = Get("SINK_PARTITION_KEYS") is { } keys
                ? JsonSerializer.Deserialize(keys, LambdaEventsJsonContext.Default.DictionaryStringString) ?? []
                : new Dictionary<string, string>(),
            MaxActivePartitions = Number(Get("SINK_MAX_ACTIVE_PARTITIONS"), "SINK_MAX_ACTIVE_PARTITIONS") ?? 500,
            TransformFunction = transformFunction,
        };

        IRecordTransform? transform = transformFunction is not null
            ? new LambdaRecordTransform(new LambdaInvokeClient(settings, transformFunction), transformFunction, new LambdaTransformOptions { Region = settings.Region })
            : environment.SettingOrFile("TRANSFORM_CONFIG", "TRANSFORM_CONFIG_FILE") is { } config ? JsonProjectionTransform.Parse(config)
            : null;
        var store = new DynamoDbSinkStateStore(clients.CreateDynamoDBClient(), Require("SINK_STATE_TABLE"));
        return new S3SinkFunction(new Sink.S3Sink(clients.CreateS3Client(), store, options, transform, onStage: Failpoints.FromEnvironment<SinkStage>(environment)));
    }

    private static int? Number(string? value, string name) =>
        value is null ? null : int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{name} is a whole number, not '{value}'.");
}
