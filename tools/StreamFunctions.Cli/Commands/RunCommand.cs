using System.CommandLine;
using StreamFunctions.Cli.Run;
using StreamFunctions.Lambda.Local;
using StreamFunctions.StreamLog.Kinesis;

namespace StreamFunctions.Cli.Commands;

/// <summary>
/// <c>sfn run</c>: the local pipeline on the embedded default. No AWS, no emulators: the embedded stream
/// log, the event-source-mapping runner and a function run through the Lambda Runtime API on this machine.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var records = new Option<int>("--records") { Description = "Records to produce (1 to 1,000,000).", DefaultValueFactory = _ => 10_000 };
        records.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1_000_000)
            {
                r.AddError("--records must be between 1 and 1,000,000.");
            }
        });
        var shards = new Option<int>("--shards") { Description = "Shards of the stream (1 to 64).", DefaultValueFactory = _ => 4 };
        shards.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--shards must be between 1 and 64.");
            }
        });
        var batchSize = new Option<int>("--batch-size") { Description = "The event source mapping's BatchSize (1 to 10,000).", DefaultValueFactory = _ => 100 };
        var function = new Option<string>("--function") { Description = "The function under functions/ the stream triggers.", DefaultValueFactory = _ => "Echo" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the embedded stream log keeps its files (kept); a temporary folder, removed afterwards, when omitted." };
        var command = new Command("run", "Run the local pipeline on the embedded stream log: produce, trigger a function through the Lambda Runtime API, check every record.")
        {
            records,
            shards,
            batchSize,
            function,
            dataDir,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(records), parse.GetValue(shards), parse.GetValue(batchSize), parse.GetValue(function)!, parse.GetValue(dataDir), output, error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(int records, int shards, int batchSize, string function, string? dataDir, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var temporary = dataDir is null;
        var directory = dataDir ?? Path.Combine(Path.GetTempPath(), "sfn-run-" + Guid.NewGuid().ToString("N"));
        try
        {
            output.WriteLine($"StreamFunctions local pipeline: embedded stream log in {directory}, function {function}");
            var bootstrap = await FunctionBuilds.BuildAsync(function, error, cancellationToken).ConfigureAwait(false);
            using var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = directory });
            await using var invoker = new ProcessLambdaInvoker(bootstrap, new LocalFunctionOptions { FunctionName = function, Timeout = TimeSpan.FromSeconds(30) }, TextWriter.Null);
            var stream = "clickstream-" + Guid.NewGuid().ToString("N")[..8];
            var report = await new LocalPipelineRun(kinesis, invoker, output).RunAsync(stream, records, shards, batchSize, cancellationToken).ConfigureAwait(false);
            var seconds = Math.Max(report.Elapsed.TotalSeconds, 0.001);
            output.WriteLine(
                $"summary: records in {report.RecordsIn:N0} ({report.BytesIn:N0} bytes) over {report.Shards} shards, out {report.RecordsOut:N0} in {report.Invocations:N0} invocations, " +
                $"function errors {report.FunctionErrors}, duplicates {report.Duplicates}, missing {report.Missing}, mismatches {report.Mismatches}, " +
                $"{report.Elapsed.TotalSeconds:0.00} s ({report.RecordsIn / seconds:N0} records/s end to end)");
            output.WriteLine(report.Succeeded ? "local pipeline passed" : "local pipeline FAILED");
            return report.Succeeded ? 0 : 1;
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"sfn run: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        finally
        {
            if (temporary && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
