using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Testing;
using Xunit.Abstractions;

namespace StreamFunctions.Functions.Tests;

/// <summary>
/// Every setting of every function, as functions/README.md documents them, given an unusable value (or left out
/// where it is required): the function's bootstrap, started under the Runtime API protocol, reports an init error of
/// type <c>Runtime.ConfigInvalid</c> whose one-line message names the setting, the value and what is accepted, and no
/// stack trace. A setting that takes any text says so in <see cref="AnyText"/>, with the reason.
/// </summary>
public sealed partial class FunctionConfigurationTests(ITestOutputHelper output)
{
    private const string Aggregation = """{"name":"n","key":"$.k","time":"$.ts","window":{"type":"tumbling","size":"1m"},"aggregates":[{"name":"c","function":"count"}]}""";

    // A valid environment per function: each case changes one setting of it.
    private static readonly Dictionary<string, Dictionary<string, string>> Valid = new(StringComparer.Ordinal)
    {
        ["Gateway"] = new() { ["STREAM_NAME"] = "clicks" },
        ["S3Sink"] = new() { ["SINK_BUCKET"] = "bucket", ["SINK_STATE_TABLE"] = "state" },
        ["Transform"] = [],
        ["Router"] = new() { ["BRIDGE_TO"] = "kinesis:copy" },
        ["Aggregator"] = new() { ["AGGREGATOR_CONFIG"] = Aggregation, ["AGGREGATOR_STATE_TABLE"] = "state", ["AGGREGATOR_RESULTS"] = "dynamodb:results" },
        ["FailureHandler"] = new() { ["DLQ_BUCKET"] = "bucket" },
    };

    // Settings whose every value is usable (names of existing resources, free prefixes), by function.
    private static readonly Dictionary<string, string> AnyText = new(StringComparer.Ordinal)
    {
        ["Gateway/IDEMPOTENCY_TABLE"] = "a table name; DynamoDB answers for it",
        ["Gateway/GATEWAY_JWT_SCOPES"] = "scope names",
        ["Router/DLQ_BUCKET"] = "optional; a bucket name S3 answers for",
        ["Router/DLQ_PREFIX"] = "any key prefix",
        ["FailureHandler/DLQ_PREFIX"] = "any key prefix",
        ["S3Sink/SINK_STAGING_PREFIX"] = "any key prefix",
        ["S3Sink/TRANSFORM_FUNCTION"] = "a function name or ARN; Lambda's Invoke answers for it",
        ["Aggregator/AGGREGATOR_RESULTS_TABLE"] = "a table name (with no AGGREGATOR_RESULTS)",
        ["Aggregator/AGGREGATOR_SIDE_OUTPUT_BUCKET"] = "a bucket name S3 answers for",
        ["Aggregator/AGGREGATOR_SIDE_OUTPUT_PREFIX"] = "any key prefix",
    };

    // Words in backticks in functions/README.md's table that are not variables.
    private static readonly string[] NotVariables = ["POST"];

    private static readonly string Root = RepositoryPaths.Root();

    /// <summary>(function, the changes to its valid environment (null removes), the variable, the exact message or null to check only its form).</summary>
    public static TheoryData<string, string, string?, string?, string?> Cases() => new()
    {
        // The issue's cases, with their whole messages.
        { "Gateway", "GATEWAY_API_KEY_SHA256", "not-hex", "GATEWAY_AUTH=apikey", "GATEWAY_API_KEY_SHA256 is 'not-hex'; it must be a comma-separated list of SHA-256 digests (64 hex digits each)." },
        { "Gateway", "IDEMPOTENCY_WINDOW_MINUTES", "abc", "IDEMPOTENCY_TABLE=keys", "IDEMPOTENCY_WINDOW_MINUTES is 'abc'; it must be a whole number of minutes from 1 to 10080." },
        { "Gateway", "IDEMPOTENCY_WINDOW_MINUTES", "0", "IDEMPOTENCY_TABLE=keys", "IDEMPOTENCY_WINDOW_MINUTES is '0'; it must be a whole number of minutes from 1 to 10080." },
        { "S3Sink", "SINK_BUFFER_SIZE_MB", "999", null, "SINK_BUFFER_SIZE_MB is '999'; it must be a whole number from 1 to 128 (MiB)." },
        { "S3Sink", "SINK_BUFFER_SIZE_MB", "0", null, "SINK_BUFFER_SIZE_MB is '0'; it must be a whole number from 1 to 128 (MiB)." },
        { "S3Sink", "SINK_BUFFER_INTERVAL_SECONDS", "-1", null, "SINK_BUFFER_INTERVAL_SECONDS is '-1'; it must be a whole number of seconds from 0 to 900." },
        { "S3Sink", "SINK_BUFFER_INTERVAL_SECONDS", "901", null, "SINK_BUFFER_INTERVAL_SECONDS is '901'; it must be a whole number of seconds from 0 to 900." },
        { "S3Sink", "SINK_NEWLINE", "yes", null, "SINK_NEWLINE is 'yes'; it must be true or false." },
        { "S3Sink", "SINK_PARTITION_KEYS", "notjson", null, null },
        { "S3Sink", "SINK_MAX_ACTIVE_PARTITIONS", "0", null, "SINK_MAX_ACTIVE_PARTITIONS is '0'; it must be a whole number from 1 to 5000." },
        { "Gateway", "KINESIS_AGGREGATE", "yes", null, "KINESIS_AGGREGATE is 'yes'; it must be true or false." },

        // Every other setting.
        { "Gateway", "DESTINATION", "sqs", null, "DESTINATION is 'sqs'; it must be one of kinesis, kafka." },
        { "Gateway", "STREAM_NAME", null, null, "STREAM_NAME is not set; it must be the name of the Kinesis stream records are written to." },
        { "Gateway", "ORDERING", "random", null, "ORDERING is 'random'; it must be one of per-key, none." },
        { "Gateway", "GATEWAY_AUTH", "open", null, "GATEWAY_AUTH is 'open'; it must be one of iam, jwt, apikey." },
        { "Gateway", "GATEWAY_API_KEY_SHA256", null, "GATEWAY_AUTH=apikey", null },
        { "Gateway", "KAFKA_BOOTSTRAP_SERVERS", null, "DESTINATION=kafka;KAFKA_TOPIC=t", "KAFKA_BOOTSTRAP_SERVERS is not set; it must be the Kafka brokers, host:port[,host:port…]." },
        { "Gateway", "KAFKA_TOPIC", null, "DESTINATION=kafka;KAFKA_BOOTSTRAP_SERVERS=localhost:9092", "KAFKA_TOPIC is not set; it must be the Kafka topic records are written to." },
        { "Gateway", "KAFKA_COMPRESSION", "brotli", "DESTINATION=kafka;KAFKA_BOOTSTRAP_SERVERS=localhost:9092;KAFKA_TOPIC=t", "KAFKA_COMPRESSION is 'brotli'; it must be one of lz4, zstd, gzip, snappy, none." },
        { "Gateway", "KAFKA_PROPERTIES", "sasl.password", "DESTINATION=kafka;KAFKA_BOOTSTRAP_SERVERS=localhost:9092;KAFKA_TOPIC=t", "KAFKA_PROPERTIES is set (not shown: it may hold secrets); it must be name=value pairs separated by ';': entry 1 is not name=value." },
        { "Router", "ROUTER_RULES", "notjson", null, null },
        { "Router", "ROUTER_RULES_FILE", "missing-rules.json", null, null },
        { "Router", "BRIDGE_TO", "sqs:queue", null, null },
        { "Router", "KINESIS_AGGREGATE", "1", null, "KINESIS_AGGREGATE is '1'; it must be true or false." },
        { "Router", "KAFKA_BOOTSTRAP_SERVERS", null, "BRIDGE_TO=kafka:copy", null },
        { "Router", "KAFKA_COMPRESSION", "brotli", "BRIDGE_TO=kafka:copy;KAFKA_BOOTSTRAP_SERVERS=localhost:9092", null },
        { "Router", "KAFKA_PROPERTIES", "acks=all;=x", "BRIDGE_TO=kafka:copy;KAFKA_BOOTSTRAP_SERVERS=localhost:9092", "KAFKA_PROPERTIES is set (not shown: it may hold secrets); it must be name=value pairs separated by ';': entry 2 is not name=value." },
        { "S3Sink", "SINK_BUCKET", null, null, "SINK_BUCKET is not set; it must be the name of the destination bucket." },
        { "S3Sink", "SINK_STATE_TABLE", null, null, null },
        { "S3Sink", "SINK_PREFIX", "data/!{nope}/", null, null },
        { "S3Sink", "SINK_PARTITION_KEYS", null, "SINK_PREFIX=data/!{partitionKeyFromQuery:customer}/", null },
        { "S3Sink", "SINK_ERROR_PREFIX", "errors/!{partitionKeyFromQuery:customer}/", "SINK_PARTITION_KEYS={\"customer\":\".c\"}", null },
        { "S3Sink", "SINK_BACKUP_PREFIX", "backup/!{partitionKeyFromLambda:customer}/", null, null },
        { "S3Sink", "SINK_ERROR_PREFIX", "errors/" + new string('€', 300) + "/", null, null },
        { "S3Sink", "SINK_BACKUP_PREFIX", "backup/" + new string('b', 900) + "/", null, null },
        { "S3Sink", "SINK_FORMAT", "csv", null, "SINK_FORMAT is 'csv'; it must be one of jsonl, json, parquet." },
        { "S3Sink", "SINK_COMPRESSION", "brotli", null, "SINK_COMPRESSION is 'brotli'; it must be one of none, gzip, zstd, snappy, hadoop-snappy." },
        { "S3Sink", "TRANSFORM_CONFIG", "notjson", null, null },
        { "S3Sink", "TRANSFORM_CONFIG_FILE", "missing-transform.json", null, null },
        { "Transform", "TRANSFORM_CONFIG", "{\"fields\": 3}", null, null },
        { "Transform", "TRANSFORM_CONFIG_FILE", "missing-transform.json", null, null },
        { "Aggregator", "AGGREGATOR_CONFIG", "{\"name\":\"n\",\"key\":\"$.k\",\"time\":\"$.ts\",\"window\":{\"type\":\"tumbling\",\"size\":\"abc\"},\"aggregates\":[]}", null, null },
        { "Aggregator", "AGGREGATOR_CONFIG_FILE", "missing-aggregation.json", "AGGREGATOR_CONFIG=", null },
        { "Aggregator", "AGGREGATOR_STATE_TABLE", null, null, null },
        { "Aggregator", "AGGREGATOR_RESULTS", "redis:x", null, null },
        { "Aggregator", "AGGREGATOR_RESULTS_FORMAT", "csv", "AGGREGATOR_RESULTS=s3://bucket/results/", null },
        { "Aggregator", "AGGREGATOR_RESULTS_COMPRESSION", "brotli", "AGGREGATOR_RESULTS=s3://bucket/results/", null },
        { "Aggregator", "KAFKA_BOOTSTRAP_SERVERS", null, "AGGREGATOR_RESULTS=kafka:results", null },
        { "Aggregator", "KAFKA_COMPRESSION", "brotli", "AGGREGATOR_RESULTS=kafka:results;KAFKA_BOOTSTRAP_SERVERS=localhost:9092", null },
        { "Aggregator", "KAFKA_PROPERTIES", "x", "AGGREGATOR_RESULTS=kafka:results;KAFKA_BOOTSTRAP_SERVERS=localhost:9092", "KAFKA_PROPERTIES is set (not shown: it may hold secrets); it must be name=value pairs separated by ';': entry 1 is not name=value." },
        { "FailureHandler", "DLQ_BUCKET", null, null, "DLQ_BUCKET is not set; it must be the name of the DLQ archive's bucket." },
        { "FailureHandler", "DLQ_NOTIFY_QUEUE_URL", "archived", null, null },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Cases))]
    public async Task Init_UnusableSetting_IsAConfigurationErrorNamingItsValueAndRange_WithoutStackTrace(string function, string variable, string? value, string? alsoSet, string? message)
    {
        var environment = new Dictionary<string, string>(Valid[function], StringComparer.Ordinal)
        {
            ["AWS_REGION"] = "eu-west-1",
            ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE",
            ["AWS_SECRET_ACCESS_KEY"] = "secret",
            ["LAMBDA_TASK_ROOT"] = Path.GetTempPath(),
        };
        foreach (var pair in (alsoSet ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            environment[pair[..pair.IndexOf('=', StringComparison.Ordinal)]] = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        if (value is null)
        {
            environment.Remove(variable);
        }
        else
        {
            environment[variable] = value;
        }

        var error = await InitErrorAsync(function, environment);

        Assert.Equal("Runtime.ConfigInvalid", error.Type);
        Assert.Empty(error.StackTrace);
        Assert.DoesNotContain('\n', error.Message);
        if (message is not null)
        {
            Assert.Equal(message, error.Message);
        }
        else
        {
            output.WriteLine(error.Message);
            var named = value is null ? $"{variable} is not set; it must be " : $"{variable} is '";
            Assert.True(error.Message.StartsWith(named, StringComparison.Ordinal) && error.Message.Contains("; it must be ", StringComparison.Ordinal), error.Message);
        }
    }

    [Fact]
    public void Cases_CoverEveryVariableTheReadmeDocuments()
    {
        var covered = Cases().Select(c => $"{c[0]}/{c[1]}").Concat(AnyText.Keys).ToHashSet(StringComparer.Ordinal);
        var documented = new List<string>();
        foreach (Match row in ReadmeRow().Matches(File.ReadAllText(Path.Combine(Root, "functions", "README.md"))))
        {
            documented.AddRange(Variable().Matches(row.Groups[2].Value).Select(v => $"{row.Groups[1].Value}/{v.Groups[1].Value}"));
        }

        Assert.True(documented.Count > 40, $"only {documented.Count} variables read from functions/README.md");
        var uncovered = documented.Distinct().Where(v => !covered.Contains(v) && !NotVariables.Contains(v[(v.IndexOf('/', StringComparison.Ordinal) + 1)..])).ToList();
        Assert.True(uncovered.Count == 0, "no case for " + string.Join(", ", uncovered));
    }

    private static async Task<(string Type, string Message, string[] StackTrace)> InitErrorAsync(string function, Dictionary<string, string> environment)
    {
        await using var invoker = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap(function), new LocalFunctionOptions { FunctionName = function, Timeout = TimeSpan.FromSeconds(30), Environment = environment });
        var result = await invoker.InvokeAsync("{}"u8.ToArray());
        Assert.Equal("Unhandled", result.FunctionError);
        using var payload = JsonDocument.Parse(result.Payload);
        var text = payload.RootElement.GetProperty("errorMessage").GetString()!;

        // The local Runtime API fails the invocation with the init error's body, as Lambda serves it to the first invoke.
        const string Marker = "The function reported an init error: ";
        var at = text.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(at >= 0, "not an init error: " + Encoding.UTF8.GetString(result.Payload.Span));
        using var body = JsonDocument.Parse(text[(at + Marker.Length)..]);
        return (
            body.RootElement.GetProperty("errorType").GetString()!,
            body.RootElement.GetProperty("errorMessage").GetString()!,
            [.. body.RootElement.GetProperty("stackTrace").EnumerateArray().Select(f => f.GetString()!)]);
    }

    [GeneratedRegex(@"^\| `(\w+)` \| (.+) \|$", RegexOptions.Multiline)]
    private static partial Regex ReadmeRow();

    [GeneratedRegex(@"`([A-Z][A-Z0-9_]{2,})(?:=[^`]*)?`")]
    private static partial Regex Variable();
}
