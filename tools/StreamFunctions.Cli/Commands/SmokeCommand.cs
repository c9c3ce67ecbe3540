using System.CommandLine;
using Amazon.Runtime;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Cli.Smoke;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Cli.Commands;

/// <summary><c>sfn smoke</c>: round-trips records through S3 and DynamoDB and checks every one.</summary>
internal static class SmokeCommand
{
    public const string Emulators = "emulators";
    public const string Environment = "environment";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var records = new Option<int>("--records")
        {
            Description = "How many records to round-trip (1 to 1,000,000).",
            DefaultValueFactory = _ => 1000,
        };
        records.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1_000_000)
            {
                r.AddError("--records must be between 1 and 1,000,000.");
            }
        });
        var against = new Option<string>("--against")
        {
            Description = "'emulators' starts local Kinesis/DynamoDB/S3 emulators (no AWS, no Docker); " +
                          "'environment' uses AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> (LocalStack) or, with none set, AWS itself.",
            DefaultValueFactory = _ => Emulators,
        };
        against.AcceptOnlyFromAmong(Emulators, Environment);

        var command = new Command("smoke", "Round-trip generated records through S3 and DynamoDB, read them back and compare.")
        {
            records,
            against,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(records), parse.GetValue(against) ?? Emulators, output, error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(int records, string against, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        LocalAwsEmulators? emulators = null;
        try
        {
            AwsSettings settings;
            if (against == Emulators)
            {
                output.WriteLine("Starting local emulators (scripts/local-aws.sh; the first run installs them with npm)...");
                emulators = await LocalAwsEmulators.StartAsync(new LocalAwsOptions { Services = ["dynamodb", "s3"] }, cancellationToken: cancellationToken).ConfigureAwait(false);
                settings = emulators.Settings;
            }
            else
            {
                settings = AwsSettings.FromEnvironment();
            }

            output.WriteLine($"StreamFunctions smoke run against {(against == Emulators ? "local emulators" : settings.HasCustomEndpoints ? "the environment's endpoints" : "AWS")}: {records:N0} records");
            var report = await new SmokeRun(settings, output).RunAsync(records, cancellationToken).ConfigureAwait(false);
            output.WriteLine(
                $"summary: records in {report.RecordsIn:N0}, out S3 {report.S3RecordsOut:N0} ({report.S3Bytes:N0} bytes), " +
                $"out DynamoDB {report.DynamoItemsOut:N0}, mismatches {report.Mismatches}, conditional write rejected: {(report.ConditionalWriteRejected ? "yes" : "NO")}, " +
                $"{report.Elapsed.TotalSeconds:0.00} s (each record written to and read from both stores)");
            output.WriteLine(report.Succeeded ? "smoke run passed" : "smoke run FAILED");
            return report.Succeeded ? 0 : 1;
        }
        catch (Exception e) when (e is AwsConfigurationException or LocalAwsException or AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            error.WriteLine($"sfn smoke: {e.Message}");
            return 1;
        }
        finally
        {
            if (emulators is not null)
            {
                await emulators.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
