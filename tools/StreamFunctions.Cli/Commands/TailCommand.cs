using System.CommandLine;
using Amazon.Runtime;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Cli.Streams;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Cli.Commands;

/// <summary><c>sfn tail &lt;stream&gt;</c>: prints a stream's records as they arrive, KPL aggregates de-aggregated.</summary>
internal static class TailCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var stream = new Argument<string>("stream") { Description = "The stream." };
        var from = new Option<string>("--from") { Description = "trim-horizon (everything retained) or latest (only what arrives from now).", DefaultValueFactory = _ => "trim-horizon" };
        from.AcceptOnlyFromAmong("trim-horizon", "latest");
        var limit = new Option<int?>("--limit") { Description = "Stop after this many records." };
        var noFollow = new Option<bool>("--no-follow") { Description = "Stop once every shard is read to its tip." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Read an embedded stream log (as `sfn run --data-dir` keeps it) instead of Kinesis at the environment's endpoints." };
        var command = new Command("tail", "Print a stream's records (shard, sequence:sub-sequence, partition key, data as text or base64), following new ones.")
        {
            stream,
            from,
            limit,
            noFollow,
            dataDir,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(stream)!, parse.GetValue(from) == "latest" ? ShardIteratorType.Latest : ShardIteratorType.TrimHorizon, parse.GetValue(limit), !parse.GetValue(noFollow), parse.GetValue(dataDir), null, output, error, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(string stream, ShardIteratorType from, int? limit, bool follow, string? dataDir, AwsSettings? settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            var (kinesis, owner, where) = StreamSource.Open(dataDir, settings);
            using (owner)
            {
                await error.WriteLineAsync($"sfn tail: {stream} in {where}, from {(from == ShardIteratorType.Latest ? "latest" : "the trim horizon")}{(follow ? ", following (Ctrl-C stops)" : string.Empty)}").ConfigureAwait(false);
                var printed = await new StreamTail(kinesis, stream, output).RunAsync(from, limit, follow, TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                await error.WriteLineAsync($"sfn tail: {printed:N0} records").ConfigureAwait(false);
                return 0;
            }
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or Local.StreamLog.Exceptions.StreamLogException or AwsConfigurationException)
        {
            // Refused before anything was read: no log in that folder, a run holds it, or AWS is not configured.
            await error.WriteLineAsync($"sfn tail: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is KinesisException or AwsConfigurationException or AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            await error.WriteLineAsync($"sfn tail: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
