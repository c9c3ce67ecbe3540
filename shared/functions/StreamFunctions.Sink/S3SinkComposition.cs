using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink;

/// <summary>
/// Builds the S3 sink function (<see cref="S3SinkFunction"/>) from its environment: the one composition root of the
/// deployed function (<c>functions/S3Sink</c>, with AWS's clients) and of <c>sfn run</c> (on a folder served as S3). The function is triggered by a Kinesis stream or a Kafka topic, and by a schedule (an EventBridge
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
/// <c>SINK_MAX_ACTIVE_PARTITIONS</c> (1–5000, default 500, Firehose's).</item>
/// <item>Transformation: <c>TRANSFORM_FUNCTION</c> (a Firehose transformation Lambda, invoked through the Invoke API), or
/// <c>TRANSFORM_CONFIG</c> / <c>TRANSFORM_CONFIG_FILE</c> (the JSON projection, in process).</item>
/// </list>
/// </summary>
public static class S3SinkComposition
{
    // The option each variable sets, so that a cross-setting check of the options (a prefix's keys, a dynamic prefix
    // without buffering) names the variable.
    private static readonly Dictionary<string, string> Variables = new(StringComparer.Ordinal)
    {
        [nameof(S3SinkOptions.Bucket)] = "SINK_BUCKET",
        [nameof(S3SinkOptions.Prefix)] = "SINK_PREFIX",
        [nameof(S3SinkOptions.ErrorPrefix)] = "SINK_ERROR_PREFIX",
        [nameof(S3SinkOptions.BackupPrefix)] = "SINK_BACKUP_PREFIX",
        [nameof(S3SinkOptions.BufferInterval)] = "SINK_BUFFER_INTERVAL_SECONDS",
        [nameof(S3SinkOptions.PartitionKeyQueries)] = "SINK_PARTITION_KEYS",
    };

    /// <summary>Builds the function.</summary>
    /// <param name="environment">Its settings.</param>
    /// <param name="services">Its object store, state store and transformation Lambda.</param>
    /// <returns>The function.</returns>
    /// <exception cref="Aws.Exceptions.AwsConfigurationException">A setting is unusable; the message names it.</exception>
    public static S3SinkFunction Create(IEnvironmentVariables environment, S3SinkServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = new SettingsReader(environment);
        var transformFunction = settings.Text("TRANSFORM_FUNCTION");
        var defaults = new S3SinkOptions();
        var options = new S3SinkOptions
        {
            Bucket = settings.Required("SINK_BUCKET", "the name of the destination bucket"),
            Prefix = settings.Text("SINK_PREFIX", defaults.Prefix),
            ErrorPrefix = settings.Text("SINK_ERROR_PREFIX", defaults.ErrorPrefix),
            BackupPrefix = settings.Text("SINK_BACKUP_PREFIX"),
            StagingPrefix = settings.Text("SINK_STAGING_PREFIX", defaults.StagingPrefix),
            BufferSizeBytes = settings.Number("SINK_BUFFER_SIZE_MB", 5, 1, 128, "MiB") * 1024L * 1024L,
            BufferInterval = settings.Duration("SINK_BUFFER_INTERVAL_SECONDS", DurationUnit.Seconds, 300, 0, 900),
            Format = settings.OneOf("SINK_FORMAT", SinkFormat.JsonLines, ("jsonl", SinkFormat.JsonLines), ("json", SinkFormat.JsonLines), ("parquet", SinkFormat.Parquet)),
            Compression = new CompressionOptions
            {
                Codec = settings.OneOf("SINK_COMPRESSION", CompressionCodec.None, ("none", CompressionCodec.None), ("gzip", CompressionCodec.Gzip), ("zstd", CompressionCodec.Zstd), ("snappy", CompressionCodec.Snappy), ("hadoop-snappy", CompressionCodec.HadoopSnappy)),
            },
            NewlineDelimiter = settings.Flag("SINK_NEWLINE", true),
            PartitionKeyQueries = settings.JsonObject("SINK_PARTITION_KEYS", """{"customer": ".customer.id"}"""),
            MaxActivePartitions = settings.Number("SINK_MAX_ACTIVE_PARTITIONS", 500, 1, S3SinkOptions.MaxActivePartitionsLimit),
            TransformFunction = transformFunction,
            MaxKeySegmentBytes = services.MaxKeySegmentBytes,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e) when (e.ParamName is { } option && Variables.TryGetValue(option, out var variable))
        {
            throw settings.Invalid(variable, "consistent with the sink's other settings", e);
        }

        var projection = transformFunction is null
            ? settings.Parsed("TRANSFORM_CONFIG", "TRANSFORM_CONFIG_FILE", JsonProjectionTransform.Parse, "a JSON projection (filter, fields, missing, partitionKeys, appendNewline: see transform.example.json)")
            : null;
        var stateTable = settings.Required("SINK_STATE_TABLE", "the name of the DynamoDB table holding each shard's buffer state");

        services.Require([AwsService.S3, AwsService.DynamoDB, .. transformFunction is null ? [] : new[] { AwsService.Lambda }]);
        IRecordTransform? transform = transformFunction is not null ? services.TransformFunction(transformFunction) : projection;
        return new S3SinkFunction(new S3Sink(services.S3(), services.StateStore(stateTable), options, transform, services.Time, Failpoints.FromEnvironment<SinkStage>(environment)));
    }
}

/// <summary>What the S3Sink function stands on (see <see cref="FunctionServices"/>).</summary>
public abstract class S3SinkServices : FunctionServices
{
    /// <summary>The longest path segment of an object key the store takes (<see cref="S3SinkOptions.MaxKeySegmentBytes"/>).</summary>
    /// <value>The default is null: S3, which limits only the whole key.</value>
    public virtual int? MaxKeySegmentBytes => null;

    /// <summary>The object store objects are delivered to.</summary>
    /// <returns>The client.</returns>
    public abstract IAmazonS3 S3();

    /// <summary>The store of each shard's buffer state.</summary>
    /// <param name="table">The table's name (<c>SINK_STATE_TABLE</c>).</param>
    /// <returns>The store.</returns>
    public abstract ISinkStateStore StateStore(string table);

    /// <summary>The transformation Lambda (with <c>TRANSFORM_FUNCTION</c>).</summary>
    /// <param name="functionName">Its name or ARN.</param>
    /// <returns>The transform.</returns>
    public abstract IRecordTransform TransformFunction(string functionName);
}
