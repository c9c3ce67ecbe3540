using System.CommandLine;
using Amazon.Runtime;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.Local.Leases;
using StreamFunctions.Local.Leases.Exceptions;

namespace StreamFunctions.Cli.Commands;

/// <summary>
/// <c>sfn status --table T [--stream S]</c>: the shards, owners, counters and checkpoints in a lease
/// table (ours or any KCL application's), with the stream's shards that have no lease and, per shard, how far
/// its checkpoint is behind the tip (the iterator age a consumer resuming there would have).
/// </summary>
internal static class StatusCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var table = new Option<string>("--table") { Description = "The lease table (for a KCL application: its application name).", Required = true };
        var stream = new Option<string?>("--stream") { Description = "The stream, to also list shards that have no lease yet." };
        var command = new Command("status", "Show a lease table: shards, owners, lease counters, checkpoints, parents and children.")
        {
            table,
            stream,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(settings: null, parse.GetValue(table)!, parse.GetValue(stream), output, error, cancellationToken));
        return command;
    }

    // settings: where AWS is; null resolves it from the environment (AWS_ENDPOINT_URL, region, credentials).
    internal static async Task<int> RunAsync(AwsSettings? settings, string tableName, string? streamName, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            settings ??= AwsSettings.FromEnvironment();
            using var dynamo = new AwsClientFactory(settings).CreateDynamoDBClient();
            using var kinesis = streamName is null ? null : KinesisClient.Create(settings);
            var rows = await LeaseStatus.ReadAsync(new LeaseTable(dynamo, tableName), kinesis, streamName, cancellationToken).ConfigureAwait(false);
            Write(rows, tableName, output);
            return 0;
        }
        catch (Amazon.DynamoDBv2.Model.ResourceNotFoundException)
        {
            error.WriteLine($"sfn status: lease table '{tableName}' does not exist (DynamoDB {settings!.DescribeEndpoint(AwsService.DynamoDB)}).");
            return 1;
        }
        catch (AwsConfigurationException e)
        {
            error.WriteLine($"sfn status: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is KinesisException or LeaseException or AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            error.WriteLine($"sfn status: {e.Message}");
            return 1;
        }
    }

    private static void Write(IReadOnlyList<LeaseStatusRow> rows, string tableName, TextWriter output)
    {
        output.WriteLine($"lease table {tableName}: {rows.Count(r => r.Lease is not null)} leases, " +
                         $"{rows.Count(r => r.State == "owned")} owned, {rows.Count(r => r.State == "unowned")} unowned, " +
                         $"{rows.Count(r => r.State == "finished")} finished, {rows.Count(r => r.State == "no-lease")} shards without a lease");
        output.WriteLine($"{"shard",-22} {"state",-9} {"owner",-24} {"counter",8} {"switches",8}  {"checkpoint",-58} {"behind",12}  parents -> children");
        foreach (var row in rows)
        {
            var lease = row.Lease;
            var shardState = row.Shard is null ? string.Empty : row.Shard.IsOpen ? " (open)" : " (closed)";
            output.WriteLine(
                $"{row.ShardId,-22} {row.State,-9} {lease?.LeaseOwner ?? "-",-24} {lease?.LeaseCounter.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",8} " +
                $"{lease?.OwnerSwitchesSinceCheckpoint.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",8}  {lease?.Checkpoint.ToString() ?? "-",-58} {Behind(row),12}  " +
                $"{Join(lease?.ParentShardIds)} -> {Join(lease?.ChildShardIds)}{shardState}");
        }
    }

    // The checkpoint's lag: the iterator age a consumer resuming there would have, or "caught up".
    private static string Behind(LeaseStatusRow row) => row switch
    {
        { RecordsWaiting: false } => "caught up",
        { MillisBehind: { } ms } when ms >= 60_000 => $"{ms / 60_000.0:0.0} min",
        { MillisBehind: { } ms } => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ms:N0} ms"),
        _ => "-",
    };

    private static string Join(IReadOnlyList<string>? ids) => ids is null || ids.Count == 0 ? "-" : string.Join(',', ids);
}
