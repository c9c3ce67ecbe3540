using System.Globalization;
using System.Text.Json;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Formats.Compression;
using StreamFunctions.KinesisApi;
using StreamFunctions.Sink;
using StreamFunctions.Transform;

namespace StreamFunctions.Cli.Run;

/// <summary>
/// A pipeline, read from one YAML or JSON file: the stream, the gateway, the S3 sink (with its optional
/// transform), the aggregator, the event source mappings' failure handling, and the local workload. Every
/// setting but the workload's is also a parameter of <c>template.yaml</c> (<see cref="TemplateParameters"/>), so
/// the file that runs locally is the file that deploys: <c>sfn parameters</c> prints it as
/// <c>--parameter-overrides</c>.
/// </summary>
internal sealed record PipelineConfig
{
    /// <summary>The stream's name (local runs; a deployment names it after the stack).</summary>
    public string StreamName { get; private init; } = "clickstream";

    public int Shards { get; private init; } = 4;

    public bool GatewayAggregate { get; private init; } = true;

    public string GatewayOrdering { get; private init; } = "per-key";

    public string Bucket { get; private init; } = "streamfunctions-local";

    public string SinkPrefix { get; private init; } = "clicks/type=!{partitionKeyFromQuery:type}/!{timestamp:yyyy/MM/dd/HH}/";

    public string SinkErrorPrefix { get; private init; } = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/";

    public int SinkBufferSizeMB { get; private init; } = 5;

    public int SinkBufferIntervalSeconds { get; private init; } = 60;

    public string SinkFormat { get; private init; } = "jsonl";

    public string SinkCompression { get; private init; } = "gzip";

    public IReadOnlyDictionary<string, string> SinkPartitionKeys { get; private init; } = new Dictionary<string, string> { ["type"] = ".type" };

    /// <summary>The JSON projection transform's configuration (JSON), or null for none.</summary>
    public string? Transform { get; private init; }

    /// <summary>The aggregator's configuration (JSON), or null for none.</summary>
    public string? Aggregator { get; private init; } = DefaultAggregator;

    public int BatchSize { get; private init; } = 500;

    public int MaximumRetryAttempts { get; private init; } = 2;

    public bool BisectBatchOnFunctionError { get; private init; } = true;

    public int MaximumRecordAgeInSeconds { get; private init; } = 3600;

    public int WorkloadRecords { get; private init; } = 10_000;

    /// <summary>A JSON-lines file to send instead of the generated clickstream.</summary>
    public string? WorkloadFile { get; private init; }

    public int WorkloadRecordsPerRequest { get; private init; } = 250;

    /// <summary>Every n-th generated record is not JSON (0: none), to show the error paths.</summary>
    public int WorkloadMalformedEvery { get; private init; } = 500;

    /// <summary>The sink options these settings give (on <paramref name="bucket"/>).</summary>
    public S3SinkOptions SinkOptions(string bucket) => new S3SinkOptions
    {
        Bucket = bucket,
        Prefix = SinkPrefix,
        ErrorPrefix = SinkErrorPrefix,
        BufferSizeBytes = SinkBufferSizeMB * 1024L * 1024L,
        BufferInterval = TimeSpan.FromSeconds(SinkBufferIntervalSeconds),
        Format = SinkFormat == "parquet" ? Sink.SinkFormat.Parquet : Sink.SinkFormat.JsonLines,
        Compression = new CompressionOptions { Codec = CompressionOptions.ParseCodec(SinkCompression, "sink.compression") },
        PartitionKeyQueries = SinkPartitionKeys,
        MaxKeySegmentBytes = 255,
    }.Validate();

    /// <summary>
    /// The template parameter of each setting: the pipeline file's path (<c>section.name</c>) and the parameter's
    /// name in <c>template.yaml</c>, with the setting's value as the parameter takes it.
    /// </summary>
    public IReadOnlyList<(string Setting, string Parameter, string Value)> TemplateParameters() =>
    [
        ("stream.shards", "ShardCount", Number(Shards)),
        ("gateway.aggregate", "KinesisAggregate", GatewayAggregate ? "true" : "false"),
        ("gateway.ordering", "GatewayOrdering", GatewayOrdering),
        ("sink.prefix", "SinkPrefix", SinkPrefix),
        ("sink.errorPrefix", "SinkErrorPrefix", SinkErrorPrefix),
        ("sink.bufferSizeMB", "SinkBufferSizeMB", Number(SinkBufferSizeMB)),
        ("sink.bufferIntervalSeconds", "SinkBufferIntervalSeconds", Number(SinkBufferIntervalSeconds)),
        ("sink.format", "SinkFormat", SinkFormat),
        ("sink.compression", "SinkCompression", SinkCompression),
        ("sink.partitionKeys", "SinkPartitionKeys", JsonSerializer.Serialize(SinkPartitionKeys, PipelineJsonContext.Default.IReadOnlyDictionaryStringString)),
        ("sink.transform", "TransformConfig", Transform ?? string.Empty),
        ("aggregator", "AggregatorConfig", Aggregator ?? string.Empty),
        ("eventSource.batchSize", "BatchSize", Number(BatchSize)),
        ("eventSource.maximumRetryAttempts", "MaximumRetryAttempts", Number(MaximumRetryAttempts)),
        ("eventSource.bisectBatchOnFunctionError", "BisectBatchOnFunctionError", BisectBatchOnFunctionError ? "true" : "false"),
        ("eventSource.maximumRecordAgeInSeconds", "MaximumRecordAgeInSeconds", Number(MaximumRecordAgeInSeconds)),
    ];

    /// <summary>The built-in pipeline (what <c>sfn run</c> runs without <c>--pipeline</c>).</summary>
    public static PipelineConfig Default { get; } = new();

    private const string DefaultAggregator = """{"name":"page-views","key":"$.page","time":"$.ts","window":{"type":"tumbling","size":"1m"},"outOfOrderness":"5s","allowedLateness":"30s","aggregates":[{"name":"views","function":"count"},{"name":"users","function":"distinct","field":"$.userId"},{"name":"latency","function":"quantiles","field":"$.ms","quantiles":[0.5,0.99]}]}""";

    private static readonly string[] Sections = ["stream", "gateway", "sink", "aggregator", "eventSource", "workload"];

    /// <summary>Reads a pipeline file (YAML or JSON); settings it leaves out keep the built-in values.</summary>
    /// <param name="text">The file's text.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="FormatException">Malformed; the message names the setting.</exception>
    public static PipelineConfig Parse(string text)
    {
        using var document = YamlToJson.ParseConfiguration(text, "The pipeline file is not JSON or YAML");
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("A pipeline file is an object with the sections " + string.Join(", ", Sections) + ".");
        }

        foreach (var section in root.EnumerateObject())
        {
            if (!Sections.Contains(section.Name, StringComparer.Ordinal))
            {
                throw new FormatException($"Pipeline: unknown section '{section.Name}' (expected {string.Join(", ", Sections)}).");
            }
        }

        var stream = Section(root, "stream", "name", "shards");
        var gateway = Section(root, "gateway", "aggregate", "ordering");
        var sink = Section(root, "sink", "bucket", "prefix", "errorPrefix", "bufferSizeMB", "bufferIntervalSeconds", "format", "compression", "partitionKeys", "transform");
        var events = Section(root, "eventSource", "batchSize", "maximumRetryAttempts", "bisectBatchOnFunctionError", "maximumRecordAgeInSeconds");
        var workload = Section(root, "workload", "records", "file", "recordsPerRequest", "malformedEvery");
        var d = Default;
        var config = new PipelineConfig
        {
            StreamName = Text(stream, "stream.name") ?? d.StreamName,
            Shards = Int(stream, "stream.shards", 1, 64) ?? d.Shards,
            GatewayAggregate = Bool(gateway, "gateway.aggregate") ?? d.GatewayAggregate,
            GatewayOrdering = OneOf(Text(gateway, "gateway.ordering"), "gateway.ordering", "per-key", "none") ?? d.GatewayOrdering,
            Bucket = Text(sink, "sink.bucket") ?? d.Bucket,
            SinkPrefix = Text(sink, "sink.prefix") ?? d.SinkPrefix,
            SinkErrorPrefix = Text(sink, "sink.errorPrefix") ?? d.SinkErrorPrefix,
            SinkBufferSizeMB = Int(sink, "sink.bufferSizeMB", 1, 128) ?? d.SinkBufferSizeMB,
            SinkBufferIntervalSeconds = Int(sink, "sink.bufferIntervalSeconds", 0, 900) ?? d.SinkBufferIntervalSeconds,
            SinkFormat = OneOf(Text(sink, "sink.format"), "sink.format", "jsonl", "parquet") ?? d.SinkFormat,
            SinkCompression = OneOf(Text(sink, "sink.compression"), "sink.compression", "none", "gzip", "zstd", "snappy", "hadoop-snappy") ?? d.SinkCompression,
            SinkPartitionKeys = sink is { } s && s.TryGetProperty("partitionKeys", out var keys) ? Keys(keys) : d.SinkPartitionKeys,
            Transform = sink is { } t && t.TryGetProperty("transform", out var transform) && transform.ValueKind != JsonValueKind.Null ? transform.GetRawText() : null,
            Aggregator = root.TryGetProperty("aggregator", out var aggregator) ? aggregator.ValueKind == JsonValueKind.Null ? null : aggregator.GetRawText() : d.Aggregator,
            BatchSize = Int(events, "eventSource.batchSize", 1, 10_000) ?? d.BatchSize,
            MaximumRetryAttempts = Int(events, "eventSource.maximumRetryAttempts", -1, 10_000) ?? d.MaximumRetryAttempts,
            BisectBatchOnFunctionError = Bool(events, "eventSource.bisectBatchOnFunctionError") ?? d.BisectBatchOnFunctionError,
            MaximumRecordAgeInSeconds = Int(events, "eventSource.maximumRecordAgeInSeconds", -1, 604_800) ?? d.MaximumRecordAgeInSeconds,
            WorkloadRecords = Int(workload, "workload.records", 1, 10_000_000) ?? d.WorkloadRecords,
            WorkloadFile = ExistingFile(Text(workload, "workload.file"), "workload.file"),
            WorkloadRecordsPerRequest = Int(workload, "workload.recordsPerRequest", 1, KinesisLimits.MaxRecordsPerRequest) ?? d.WorkloadRecordsPerRequest,
            WorkloadMalformedEvery = Int(workload, "workload.malformedEvery", 0, int.MaxValue) ?? d.WorkloadMalformedEvery,
        };
        config.Check();
        return config;
    }

    /// <summary>
    /// Reads a pipeline file, or gives the built-in pipeline when <paramref name="file"/> is null. A file that cannot be
    /// read or parsed is reported on <paramref name="error"/> as <c>command: file: reason</c>, and null returned; a file
    /// over <see cref="EnvironmentVariables.MaxFileBytes"/> is refused by its size before it is read, as
    /// <c>command: --pipeline is 'path'; it must be a file of at most … bytes (it has …).</c>
    /// </summary>
    public static async Task<PipelineConfig?> LoadAsync(string? file, string command, TextWriter error, CancellationToken cancellationToken)
    {
        if (file is null)
        {
            return Default;
        }

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // Read as every *_FILE setting is (SettingOrFile): bounded by the file's size before a byte is read.
            var settings = EnvironmentVariables.From(new Dictionary<string, string> { [FileOption] = Path.GetFullPath(file) });
            return Parse(settings.SettingOrFile(string.Empty, FileOption)!);
        }
        catch (AwsConfigurationException e)
        {
            await error.WriteLineAsync($"{command}: {e.Message}").ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"{command}: {file}: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    // The option that names a pipeline file (sfn run's and sfn parameters'), as a refusal of its size names it.
    private const string FileOption = "--pipeline";

    /// <summary>This pipeline with another workload size (the <c>--records</c> option).</summary>
    public PipelineConfig WithRecords(int records) => this with { WorkloadRecords = records, WorkloadFile = null };

    // The setting of each sink option, so that the sink's own check names the file's field.
    private static readonly Dictionary<string, string> SinkSettings = new(StringComparer.Ordinal)
    {
        [nameof(S3SinkOptions.Bucket)] = "sink.bucket",
        [nameof(S3SinkOptions.Prefix)] = "sink.prefix",
        [nameof(S3SinkOptions.ErrorPrefix)] = "sink.errorPrefix",
        [nameof(S3SinkOptions.BufferInterval)] = "sink.bufferIntervalSeconds",
        [nameof(S3SinkOptions.PartitionKeyQueries)] = "sink.partitionKeys",
    };

    // Every component's own parser checks its part, so a file that parses here deploys.
    private void Check()
    {
        try
        {
            SinkOptions(Bucket);
        }
        catch (ArgumentException e) when (e.ParamName is { } option && SinkSettings.TryGetValue(option, out var setting))
        {
            throw Invalid(setting, SinkSetting(setting), "consistent with the sink's other settings", e);
        }

        try
        {
            if (Transform is not null)
            {
                JsonProjectionTransform.Parse(Transform);
            }
        }
        catch (FormatException e)
        {
            throw Invalid("sink.transform", Transform, "a JSON projection (see functions/Transform/transform.example.json)", e);
        }

        try
        {
            if (Aggregator is not null)
            {
                AggregatorConfig.Parse(Aggregator);
            }
        }
        catch (FormatException e)
        {
            throw Invalid("aggregator", Aggregator, "an aggregation (see functions/Aggregator/aggregator.example.json)", e);
        }
    }

    private string? SinkSetting(string setting) => setting switch
    {
        "sink.bucket" => Bucket,
        "sink.prefix" => SinkPrefix,
        "sink.errorPrefix" => SinkErrorPrefix,
        "sink.bufferIntervalSeconds" => Number(SinkBufferIntervalSeconds),
        _ => JsonSerializer.Serialize(SinkPartitionKeys, PipelineJsonContext.Default.IReadOnlyDictionaryStringString),
    };

    // One message style with the functions' settings (SettingsReader): "Pipeline: path is 'value'; it must be …".
    private static FormatException Invalid(string path, string? value, string expected, Exception? cause = null) =>
        new("Pipeline: " + SettingsReader.Describe(path, value, expected, cause), cause);

    private static string? ExistingFile(string? path, string setting) =>
        path is null || File.Exists(path) ? path : throw Invalid(setting, path, "a JSON-lines file that exists (relative to the current folder, or absolute)");

    private static JsonElement? Section(JsonElement root, string name, params string[] settings)
    {
        if (!root.TryGetProperty(name, out var section) || section.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(name, section.GetRawText(), "an object");
        }

        foreach (var setting in section.EnumerateObject())
        {
            if (!settings.Contains(setting.Name, StringComparer.Ordinal))
            {
                throw new FormatException($"Pipeline: unknown setting '{name}.{setting.Name}' (expected {string.Join(", ", settings)}).");
            }
        }

        return section;
    }

    private static string? Text(JsonElement? section, string path) =>
        Value(section, path) is not { } v ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw Invalid(path, v.GetRawText(), "text");

    private static int? Int(JsonElement? section, string path, int min, int max) =>
        Value(section, path) is not { } v ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max ? n
        : throw Invalid(path, v.GetRawText(), $"a whole number from {Number(min)} to {Number(max)}");

    private static bool? Bool(JsonElement? section, string path) =>
        Value(section, path) is not { } v ? null
        : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean()
        : throw Invalid(path, v.GetRawText(), "true or false");

    private static string? OneOf(string? value, string path, params string[] allowed) =>
        value is null || allowed.Contains(value, StringComparer.Ordinal) ? value
        : throw Invalid(path, value, "one of " + string.Join(", ", allowed));

    private static JsonElement? Value(JsonElement? section, string path) =>
        section is { } s && s.TryGetProperty(path[(path.IndexOf('.', StringComparison.Ordinal) + 1)..], out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static Dictionary<string, string> Keys(JsonElement keys) =>
        keys.ValueKind == JsonValueKind.Object && keys.EnumerateObject().All(k => k.Value.ValueKind == JsonValueKind.String)
            ? keys.EnumerateObject().ToDictionary(k => k.Name, k => k.Value.GetString()!, StringComparer.Ordinal)
            : throw Invalid("sink.partitionKeys", keys.GetRawText(), "key names mapped to field queries, e.g. {\"type\": \".type\"}");

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class PipelineJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
