using System.CommandLine;
using Amazon.Runtime;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Cli.Run;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Cli.Commands;

/// <summary>
/// <c>sfn run</c>: the local pipeline on the embedded default. No AWS, no emulators: the embedded stream log, the
/// Gateway behind a loopback URL, the S3Sink and Aggregator attached through the event-source-mapping runner, the
/// FailureHandler on their on-failure records, and a folder for S3.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var pipeline = new Option<string?>("--pipeline") { Description = "The pipeline file (YAML or JSON; see pipeline.example.yaml). The built-in clickstream pipeline when omitted." };
        var records = new Option<int?>("--records") { Description = "Records the built-in workload sends (1 to 10,000,000); overrides workload.records." };
        records.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 10_000_000)
            {
                r.AddError("--records must be between 1 and 10,000,000.");
            }
        });
        var duration = new Option<int?>("--duration") { Description = "A load run: send the built-in clickstream for this many seconds (1 to 86,400) instead of a number of records, and report sustained records/s, gateway latency, end-to-end lag and memory." };
        duration.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 86_400)
            {
                r.AddError("--duration must be between 1 and 86,400 seconds.");
            }
        });
        var rate = new Option<int?>("--rate") { Description = "With --duration: send at most this many records per second (open loop); as fast as four requests in flight allow when omitted." };
        rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--rate must be at least 1 record per second.");
            }
        });
        var logs = new Option<string?>("--logs") { Description = "Write the functions' log lines (what CloudWatch Logs would hold: counts and errors, never record payloads) to this file." };
        var outputDirectory = new Option<string>("--out") { Description = "Where objects are written, laid out as <bucket>/<key>: a new or empty folder, or one an earlier run made (its output is replaced; nothing else is touched).", DefaultValueFactory = _ => "sfn-output" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the embedded stream log keeps its files (kept; a later run reuses its stream); a temporary folder, removed afterwards, when omitted." };
        foreach (var path in new Option[] { pipeline, logs, outputDirectory, dataDir })
        {
            path.Validators.Add(r =>
            {
                if (r.Tokens.Count > 0 && r.Tokens[^1].Value is var value && (string.IsNullOrWhiteSpace(value) || value.Contains('\0', StringComparison.Ordinal)))
                {
                    r.AddError($"{path.Name} needs a path.");
                }
            });
        }

        var against = new Option<string>("--against")
        {
            Description = "embedded (default): no AWS at all. emulators: local Kinesis/DynamoDB/S3 emulators. localstack: AWS_ENDPOINT_URL, or http://localhost:4566. " +
                          "environment: the AWS_ENDPOINT_URL* variables and profile as the SDKs read them (real AWS when none is set). The non-embedded runs create a stream, a bucket and tables named after the run.",
            DefaultValueFactory = _ => Embedded,
        };
        against.AcceptOnlyFromAmong(Embedded, Emulators, LocalStack, Environment);
        var command = new Command("run", "Run the local pipeline on the embedded stream log: gateway over HTTP → stream → S3 sink and windowed aggregator (failures to the DLQ) → a local folder laid out as S3.")
        {
            pipeline,
            records,
            outputDirectory,
            dataDir,
            against,
            duration,
            rate,
            logs,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(rate) is not null && r.GetValue(duration) is null)
            {
                r.AddError("--rate needs --duration (a load run).");
            }
        });
        command.SetAction((parse, stop) => RunAsync(
            parse.GetValue(pipeline), parse.GetValue(records), parse.GetValue(outputDirectory)!, parse.GetValue(dataDir), output, error, interactive: !Console.IsOutputRedirected && output == Console.Out, stop, parse.GetValue(against) ?? Embedded,
            load: parse.GetValue(duration) is { } seconds ? new LoadOptions(TimeSpan.FromSeconds(seconds), parse.GetValue(rate)) : null,
            logsFile: parse.GetValue(logs)));
        return command;
    }

    internal const string Embedded = "embedded", Emulators = "emulators", LocalStack = "localstack", Environment = "environment";

    // Runs the pipeline and prints its summary: 0 passed, 1 failed, 2 refused (nothing touched), 130 interrupted. stop is
    // Ctrl-C: the workload stops, what the gateway acknowledged is delivered and counted, the summary says it was interrupted.
    internal static async Task<int> RunAsync(string? pipelineFile, int? records, string outputDirectory, string? dataDir, TextWriter output, TextWriter error, bool interactive, CancellationToken stop, string against = Embedded, AwsSettings? settings = null, LoadOptions? load = null, string? logsFile = null)
    {
        if (await PipelineConfig.LoadAsync(pipelineFile, "sfn run", error, stop).ConfigureAwait(false) is not { } config)
        {
            return 2;
        }

        if (records is { } n)
        {
            config = config.WithRecords(n);
        }

        if (config.WorkloadFile is { } workload && !File.Exists(workload))
        {
            await error.WriteLineAsync($"sfn run: {pipelineFile}: workload.file {Path.GetFullPath(workload)} does not exist").ConfigureAwait(false);
            return 2;
        }

        var outputRoot = Path.GetFullPath(outputDirectory);
        try
        {
            output.WriteLine($"StreamFunctions local pipeline ({pipelineFile ?? "built-in clickstream"}): {(load is { } l ? $"load run, {l.Duration.TotalSeconds:N0} s{(l.RecordsPerSecond is { } r ? $" at {r:N0} records/s" : " as fast as it goes")}" : config.WorkloadFile is { } file ? $"the lines of {file}" : $"{config.WorkloadRecords:N0} records")}");

            // Every lock and check first (the output folder and its entries, the log, the kept stream's shape), then the
            // logs file: a refusal leaves everything as it was (an output folder this run made, and its marker, go again
            // when the backend is disposed). Only the pipeline's start replaces the earlier output.
            await using var backend = await BackendAsync(config, against, settings, dataDir, outputRoot, output, stop).ConfigureAwait(false);
            await using var functionLogs = logsFile is null ? null : OpenLogs(logsFile);
            var report = await new LocalPipeline(config, backend, output, interactive, load, functionLogs).RunAsync(stop).ConfigureAwait(false);
            PrintSummary(output, config, report, backend.ObjectsLocation);
            return report.Interrupted ? ConsoleInterruption.InterruptedExitCode : report.Succeeded ? 0 : 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Only the preparation (emulators, stream, bucket, tables) takes the stop; the pipeline had not started.
            await error.WriteLineAsync("sfn run: interrupted before the pipeline started").ConfigureAwait(false);
            return ConsoleInterruption.InterruptedExitCode;
        }
        catch (Exception e) when (e is RunRefusedException or AwsConfigurationException)
        {
            await error.WriteLineAsync($"sfn run: {OneLine(e.Message)}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or LocalAwsException or AmazonServiceException or AmazonClientException or HttpRequestException or TimeoutException or KinesisException or IOException
                                      or OperationCanceledException && !stop.IsCancellationRequested)
        {
            // A canceled operation nobody asked to cancel is a timeout (HttpClient's, the SDK's).
            await error.WriteLineAsync($"sfn run: {OneLine(e.Message)}").ConfigureAwait(false);
            return 1;
        }
    }

    private static async Task<PipelineBackend> BackendAsync(PipelineConfig config, string against, AwsSettings? settings, string? dataDir, string outputRoot, TextWriter output, CancellationToken cancellationToken)
    {
        switch (against)
        {
            case Emulators when settings is null:
                output.WriteLine("Starting local emulators (scripts/local-aws.sh; the first run installs them with npm)...");
                var emulators = await LocalAwsEmulators.StartAsync(new LocalAwsOptions { Services = ["kinesis", "dynamodb", "s3"] }, cancellationToken: cancellationToken).ConfigureAwait(false);
                return PipelineBackend.Aws(config, emulators.Settings, "local emulators", emulators);
            case LocalStack when settings is null:
                var environment = EnvironmentVariables.Process;
                var endpoint = environment.Setting("AWS_ENDPOINT_URL") ?? "http://localhost:4566";
                return PipelineBackend.Aws(config, AwsSettings.FromEnvironment(EnvironmentVariables.Overlay(new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = endpoint }, environment)), $"LocalStack at {endpoint}");
            case Emulators or LocalStack or Environment:
                var chosen = settings ?? AwsSettings.FromEnvironment();
                return PipelineBackend.Aws(config, chosen, chosen.HasCustomEndpoints ? "the environment's endpoints" : $"AWS ({chosen.Region})");
            default:
                if (dataDir is not null)
                {
                    CheckApart(Path.GetFullPath(dataDir), outputRoot);
                }

                var objects = OwnedFolder.ClaimOutput(outputRoot);
                OwnedFolder? temporary = null;
                try
                {
                    temporary = dataDir is null ? OwnedFolder.CreateTemporary("sfn-run-") : null;
                    return await PipelineBackend.EmbeddedAsync(config, temporary?.Path ?? dataDir!, objects, temporary, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    temporary?.Dispose();
                    objects.Dispose();
                    throw;
                }
        }
    }

    // The log and the objects in one folder, or one inside the other: replacing the output could remove the log.
    private static void CheckApart(string data, string objects)
    {
        static bool Within(string path, string folder) =>
            path == folder || path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

        if (Within(data, objects) || Within(objects, data))
        {
            throw new RunRefusedException($"--data-dir {data} and --out {objects} overlap; give them folders apart (neither inside the other).");
        }
    }

    private static StreamWriter OpenLogs(string file)
    {
        try
        {
            return new StreamWriter(file, append: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunRefusedException($"--logs {Path.GetFullPath(file)}: {e.Message}", e);
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private static void PrintSummary(TextWriter output, PipelineConfig config, PipelineReport report, string objectsLocation)
    {
        var seconds = Math.Max(report.Elapsed.TotalSeconds, 0.001);
        var sink = report.Sink;
        var aggregates = report.Aggregates;
        output.WriteLine("summary");
        output.WriteLine($"  records in        {report.RecordsSent:N0} ({report.BytesSent:N0} bytes) in {report.HttpRequests:N0} gateway requests; accepted {report.GatewayAccepted:N0}, rejected {report.GatewayRejected:N0}");
        output.WriteLine($"  sink              read {sink.UserRecords:N0} ({sink.SourceRecords:N0} stream records); delivered {sink.Delivered:N0}, dropped {sink.Dropped:N0}, to the error prefix {sink.Failed:N0}; {sink.ObjectsWritten:N0} objects");
        if (config.Aggregator is not null)
        {
            output.WriteLine($"  aggregator        read {aggregates.Records:N0}; applied {aggregates.Applied:N0}, late {aggregates.Late:N0}, invalid {aggregates.Invalid:N0}; windows emitted {report.WindowsEmitted:N0} ({report.ResultRows:N0} result rows)");
        }

        output.WriteLine($"  DLQ               {report.Discarded:N0} records discarded by the mappings, {report.DlqArchived:N0} archived");
        output.WriteLine($"  objects           {report.ObjectsOnDisk:N0} ({report.BytesOnDisk:N0} bytes) in {objectsLocation}");
        output.WriteLine($"  throughput        {report.RecordsSent / seconds:N0} records/s end to end, {report.Elapsed.TotalSeconds:0.00} s");
        var m = report.Measurements;
        output.WriteLine($"  gateway latency   {m.Gateway} per request of up to {config.WorkloadRecordsPerRequest:N0} records");
        output.WriteLine($"  end-to-end lag    sink {m.Lag("S3Sink")}");
        if (config.Aggregator is not null)
        {
            output.WriteLine($"                    aggregator {m.Lag("Aggregator")}");
        }

        output.WriteLine($"  memory            peak working set {PipelineMeasurements.PeakWorkingSet / 1024 / 1024:N0} MiB, GC heap peak {m.HeapPeak / 1024 / 1024:N0} MiB");
        output.WriteLine(
            report.Interrupted ? $"local pipeline interrupted (Ctrl-C) after {report.RecordsSent:N0} records: {(report.Succeeded ? "every record the gateway accepted is accounted for" : "records unaccounted for (see the counts above)")}"
            : report.Succeeded ? "local pipeline passed"
            : "local pipeline FAILED: records unaccounted for (see the counts above)");
    }
}
