using System.CommandLine;
using System.Globalization;
using System.Text;
using Amazon.Runtime;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.FailureHandler;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;

namespace StreamFunctions.Cli.Commands;

/// <summary><c>sfn dlq list|show|redrive</c>: the DLQ archive in S3 (AWS, LocalStack or emulators, from the environment).</summary>
internal static class DlqCommand
{
    // settings: where AWS is; from the environment when null (tests pass the emulators'). kinesis: the stream API for
    // redrive; Kinesis at the settings' endpoint when null (tests pass an in-process one).
    public static Command Create(TextWriter output, TextWriter error, Func<AwsSettings>? settings = null, IKinesisApi? kinesis = null)
    {
        settings ??= () => AwsSettings.FromEnvironment();
        var bucket = new Option<string>("--bucket") { Description = "The DLQ archive's bucket.", Required = true };
        var prefix = new Option<string>("--prefix") { Description = "The archive's key prefix.", DefaultValueFactory = _ => "dlq" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only records that failed at or after this time (ISO 8601)." };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Only records that failed before this time (ISO 8601)." };
        var errorType = new Option<string?>("--error-type") { Description = "Only this error type (full name or its last part)." };

        var list = new Command("list", "List archived records: key, status, source, position, error.") { bucket, prefix, since, until, errorType };
        list.SetAction((parse, ct) => RunAsync(settings, error, async archive =>
        {
            var records = await archive.ListAsync(new ArchiveFilter(parse.GetValue(since), parse.GetValue(until), parse.GetValue(errorType)), ct).ConfigureAwait(false);
            foreach (var r in records)
            {
                await output.WriteLineAsync($"{r.FailedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}  {r.Status,-8} {(r.Redriven ? "redriven" : r.ClaimedAt is not null ? "claimed" : "-"),-8} {r.Position,-58} {r.PartitionKey ?? "-",-20} {r.ErrorType}: {r.ErrorMessage}  ({r.Key})").ConfigureAwait(false);
            }

            await output.WriteLineAsync($"{records.Count} records, {records.Count(r => r.Redriven)} redriven, {records.Count(r => r.ClaimedAt is not null)} claimed by a redrive under way (or one that stopped), {records.Count(r => r.Status != "archived")} pointers without a payload (expired, or their stream not found)").ConfigureAwait(false);
            return 0;
        }, parse.GetValue(bucket)!, parse.GetValue(prefix)!, ct));

        var key = new Option<string>("--key") { Description = "The archived record's key (from list).", Required = true };
        var show = new Command("show", "Show one archived record with its payload.") { bucket, prefix, key };
        show.SetAction((parse, ct) => RunAsync(settings, error, async archive =>
        {
            var r = await archive.ShowAsync(parse.GetValue(key)!, ct).ConfigureAwait(false);
            await output.WriteLineAsync($"status: {r.Status}\nsource: {r.Source}\nshard: {r.Partition}\nposition: {r.Position}\npartition key: {r.PartitionKey}\nfailed at: {r.FailedAt:O}\nreason: {r.Reason}\nerror: {r.ErrorType}: {r.ErrorMessage}\npayload ({r.Payload.Length} bytes):\n{Encoding.UTF8.GetString(r.Payload.Span)}").ConfigureAwait(false);
            return 0;
        }, parse.GetValue(bucket)!, parse.GetValue(prefix)!, ct));

        var to = new Option<string?>("--to") { Description = "Put records into this stream instead of their source stream." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only report what would be redriven." };
        var rate = new Option<int?>("--rate") { Description = "At most this many records per second (at least 1)." };
        rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--rate must be at least 1 record per second.");
            }
        });
        var redrive = new Command("redrive", "Put archived records back into their stream, each once (a second run is a no-op).") { bucket, prefix, since, until, errorType, to, dryRun, rate };
        redrive.SetAction((parse, ct) => RunAsync(settings, error, async archive =>
        {
            using var client = kinesis is null ? KinesisClient.Create(settings()) : null;
            var progress = new RedriveProgress(output);
            RedriveReport report;
            try
            {
                report = await archive.RedriveAsync(client ?? kinesis!, parse.GetValue(to), new ArchiveFilter(parse.GetValue(since), parse.GetValue(until), parse.GetValue(errorType)), parse.GetValue(dryRun), parse.GetValue(rate), progress, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl-C: the redrive stops between batches; every batch it claimed was put and marked.
                await error.WriteLineAsync($"sfn dlq redrive: interrupted after {progress.Redriven:N0} records were redriven; run again for the rest (redriven records are skipped)").ConfigureAwait(false);
                return ConsoleInterruption.InterruptedExitCode;
            }

            await output.WriteLineAsync($"{(report.DryRun ? "dry run: would redrive" : "redriven")} {report.Redriven} of {report.Matched} matching records; {report.AlreadyRedriven} already redriven, {report.ClaimedByAnotherRun} claimed by another run, {report.NotRedrivable} pointers without a payload (expired, or their stream not found)").ConfigureAwait(false);
            return 0;
        }, parse.GetValue(bucket)!, parse.GetValue(prefix)!, ct));

        return new Command("dlq", "The DLQ archive: list, show and redrive poison records.") { list, show, redrive };
    }

    private static async Task<int> RunAsync(Func<AwsSettings> settings, TextWriter error, Func<DlqArchive, Task<int>> action, string bucket, string prefix, CancellationToken interrupt)
    {
        try
        {
            using var s3 = new AwsClientFactory(settings()).CreateS3Client();
            return await action(new DlqArchive(s3, bucket, prefix)).ConfigureAwait(false);
        }
        catch (AwsConfigurationException e)
        {
            await error.WriteLineAsync($"sfn dlq: {e.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            await error.WriteLineAsync("sfn dlq: interrupted").ConfigureAwait(false);
            return ConsoleInterruption.InterruptedExitCode;
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or KinesisException or InvalidDataException or InvalidOperationException or HttpRequestException
                                      or OperationCanceledException && !interrupt.IsCancellationRequested)
        {
            // A canceled operation nobody asked to cancel is a timeout (the SDK's, HttpClient's).
            await error.WriteLineAsync($"sfn dlq: {e.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return 1;
        }
    }

    // The count redriven so far: one report per record put back and marked, counted as it comes (Progress<T> would post
    // it later), with a line every 500.
    private sealed class RedriveProgress(TextWriter output) : IProgress<int>
    {
        private int _redriven;

        public int Redriven => Volatile.Read(ref _redriven);

        public void Report(int value)
        {
            if (Interlocked.Increment(ref _redriven) % 500 == 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  redriven {Redriven:N0}"));
            }
        }
    }
}
