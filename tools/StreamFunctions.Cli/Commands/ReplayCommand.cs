using System.CommandLine;
using Amazon.Runtime;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Cli.Streams;
using StreamFunctions.Json;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.Producers;

namespace StreamFunctions.Cli.Commands;

/// <summary><c>sfn replay --from s3://bucket/prefix --to &lt;stream&gt;</c>: backfills a stream from archived JSON-lines objects.</summary>
internal static class ReplayCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var from = new Option<string>("--from") { Description = "s3://bucket/prefix (S3 at the environment's endpoints), or a folder laid out as S3 (e.g. sfn-output/<bucket>/clicks).", Required = true };
        var to = new Option<string>("--to") { Description = "The stream to write.", Required = true };
        var partitionKey = new Option<string?>("--partition-key") { Description = "A field path (e.g. $.page) whose value is each record's partition key; lines without it, or without this option, are keyed by a hash of the line." };
        var rawData = new Option<bool>("--raw-data") { Description = "The objects are the sink's error records: replay each one's original bytes (rawData)." };
        var rate = new Option<int?>("--rate") { Description = "At most this many records per second." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Read and count; write nothing." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Write to an embedded stream log (as `sfn run --data-dir` keeps it) instead of Kinesis at the environment's endpoints." };
        var command = new Command("replay", "Backfill a stream from archived JSON-lines objects (sink output or its error records), in key order, with per-record retries.")
        {
            from,
            to,
            partitionKey,
            rawData,
            rate,
            dryRun,
            dataDir,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(partitionKey), parse.GetValue(rawData), parse.GetValue(rate), parse.GetValue(dryRun), parse.GetValue(dataDir), null, output, error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(string from, string to, string? partitionKey, bool rawData, int? rate, bool dryRun, string? dataDir, AwsSettings? settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            var key = partitionKey is null ? null : FieldPath.Parse(partitionKey);
            if (!from.StartsWith("s3://", StringComparison.Ordinal) && !Directory.Exists(from))
            {
                throw new DirectoryNotFoundException($"no folder {from} (use s3://bucket/prefix for S3)");
            }

            var (kinesis, owner, where) = StreamSource.Open(dataDir, settings);
            using (owner)
            {
                using var s3 = from.StartsWith("s3://", StringComparison.Ordinal) ? new AwsClientFactory(settings ?? AwsSettings.FromEnvironment()).CreateS3Client() : null;
                var objects = s3 is null
                    ? StreamReplay.FromFolder(from, cancellationToken)
                    : StreamReplay.FromS3(s3, from["s3://".Length..].Split('/', 2)[0], from["s3://".Length..].Split('/', 2) is [_, var p] ? p : string.Empty, cancellationToken);
                await output.WriteLineAsync($"sfn replay: {from} -> {to} in {where}{(dryRun ? " (dry run)" : string.Empty)}").ConfigureAwait(false);
                var report = await new StreamReplay(new KinesisRecordProducer(kinesis, to), output).RunAsync(objects, key, rawData, rate, dryRun, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(
                    $"replayed {report.Objects:N0} objects, {report.Records:N0} records: written {report.Written:N0}, failed {report.Failed:N0}" +
                    $"{(report.KeyedByContent > 0 ? $", {report.KeyedByContent:N0} keyed by a hash of the line" : string.Empty)}{(report.FirstError is { } first ? $"; first error {first}" : string.Empty)}").ConfigureAwait(false);
                return report.Failed == 0 ? 0 : 1;
            }
        }
        catch (Exception e) when (e is DirectoryNotFoundException or Local.StreamLog.Exceptions.StreamLogException or AwsConfigurationException)
        {
            // Refused before anything was read: no log in that folder, a run holds it, or AWS is not configured.
            await error.WriteLineAsync($"sfn replay: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or KinesisException or AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            await error.WriteLineAsync($"sfn replay: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
