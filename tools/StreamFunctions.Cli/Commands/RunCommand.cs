using System.CommandLine;
using StreamFunctions.Cli.Run;

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
        var outputDirectory = new Option<string>("--out") { Description = "Where objects are written, laid out as <bucket>/<key> (replaced if it exists).", DefaultValueFactory = _ => "sfn-output" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the embedded stream log keeps its files (kept); a temporary folder, removed afterwards, when omitted." };
        var command = new Command("run", "Run the local pipeline on the embedded stream log: gateway over HTTP → stream → S3 sink and windowed aggregator (failures to the DLQ) → a local folder laid out as S3.")
        {
            pipeline,
            records,
            outputDirectory,
            dataDir,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(pipeline), parse.GetValue(records), parse.GetValue(outputDirectory)!, parse.GetValue(dataDir), output, error, interactive: !Console.IsOutputRedirected && output == Console.Out, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(string? pipelineFile, int? records, string outputDirectory, string? dataDir, TextWriter output, TextWriter error, bool interactive, CancellationToken cancellationToken)
    {
        PipelineConfig config;
        try
        {
            config = pipelineFile is null ? PipelineConfig.Default : PipelineConfig.Parse(await File.ReadAllTextAsync(pipelineFile, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"sfn run: {pipelineFile}: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        if (records is { } n)
        {
            config = config.WithRecords(n);
        }

        var temporary = dataDir is null;
        var data = dataDir ?? Path.Combine(Path.GetTempPath(), "sfn-run-" + Guid.NewGuid().ToString("N"));
        var outputRoot = Path.GetFullPath(outputDirectory);
        try
        {
            if (Directory.Exists(outputRoot))
            {
                Directory.Delete(outputRoot, recursive: true);
            }

            output.WriteLine($"StreamFunctions local pipeline ({pipelineFile ?? "built-in clickstream"}): {(config.WorkloadFile is { } file ? $"the lines of {file}" : $"{config.WorkloadRecords:N0} records")}");
            var report = await new LocalPipeline(config, data, outputRoot, output, interactive).RunAsync(cancellationToken).ConfigureAwait(false);
            PrintSummary(output, config, report, outputRoot);
            return report.Succeeded ? 0 : 1;
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"sfn run: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        finally
        {
            if (temporary && Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static void PrintSummary(TextWriter output, PipelineConfig config, PipelineReport report, string outputRoot)
    {
        var seconds = Math.Max(report.Elapsed.TotalSeconds, 0.001);
        var sink = report.Sink;
        var aggregates = report.Aggregates;
        output.WriteLine("summary");
        output.WriteLine($"  records in        {report.RecordsSent:N0} ({report.BytesSent:N0} bytes) in {report.HttpRequests:N0} gateway requests; accepted {report.GatewayAccepted:N0}, rejected {report.GatewayRejected:N0}");
        output.WriteLine($"  sink              read {report.SinkRecords:N0} ({sink.SourceRecords:N0} stream records); delivered {sink.Delivered:N0}, dropped {sink.Dropped:N0}, to the error prefix {sink.Failed:N0}; {sink.ObjectsWritten:N0} objects");
        if (config.Aggregator is not null)
        {
            output.WriteLine($"  aggregator        read {aggregates.Records:N0}; applied {aggregates.Applied:N0}, late {aggregates.Late:N0}, invalid {aggregates.Invalid:N0}; windows emitted {report.WindowsEmitted:N0} ({report.ResultRows:N0} result rows)");
        }

        output.WriteLine($"  DLQ               {report.Discarded:N0} records discarded by the mappings, {report.DlqArchived:N0} archived");
        output.WriteLine($"  objects on disk   {report.ObjectsOnDisk:N0} ({report.BytesOnDisk:N0} bytes) under {Path.Combine(outputRoot, config.Bucket)}");
        output.WriteLine($"  throughput        {report.RecordsSent / seconds:N0} records/s end to end, {report.Elapsed.TotalSeconds:0.00} s");
        output.WriteLine(report.Succeeded ? "local pipeline passed" : "local pipeline FAILED: records unaccounted for (see the counts above)");
    }
}
