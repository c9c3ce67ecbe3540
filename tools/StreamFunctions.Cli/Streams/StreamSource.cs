using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi;
using StreamFunctions.Local.StreamLog.Kinesis;

namespace StreamFunctions.Cli.Streams;

/// <summary>The stream API a command talks to: an embedded stream log (<c>--data-dir</c>, as <c>sfn run --data-dir</c> keeps it) or Kinesis at the environment's endpoints.</summary>
internal static class StreamSource
{
    public static (IKinesisApi Kinesis, IDisposable Owner, string Where) Open(string? dataDirectory, AwsSettings? settings)
    {
        if (dataDirectory is not null)
        {
            // Only a folder that holds a log: opening any other folder would write a new, empty log into it.
            if (!EmbeddedKinesis.HoldsLog(dataDirectory))
            {
                throw new DirectoryNotFoundException($"no embedded stream log in {dataDirectory} (sfn run --data-dir keeps one)");
            }

            var embedded = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = dataDirectory });
            return (embedded, embedded, $"the embedded log in {dataDirectory}");
        }

        settings ??= AwsSettings.FromEnvironment();
        var kinesis = KinesisClient.Create(settings);
        return (kinesis, kinesis, $"Kinesis at {settings.DescribeEndpoint(AwsService.Kinesis)}");
    }
}
