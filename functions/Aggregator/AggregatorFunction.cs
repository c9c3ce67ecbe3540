using System.Text.Json;
using StreamFunctions.Aggregator;
using StreamFunctions.Aws;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Functions.Aggregator;

/// <summary>
/// The aggregator function: triggered by a Kinesis stream (ParallelizationFactor 1: the state is per shard).
/// Configuration (environment):
/// <list type="bullet">
/// <item><c>AGGREGATOR_CONFIG</c> or <c>AGGREGATOR_CONFIG_FILE</c>: the aggregation as JSON (see <see cref="AggregatorConfig"/>).</item>
/// <item><c>AGGREGATOR_STATE_TABLE</c>, <c>AGGREGATOR_RESULTS_TABLE</c> (required).</item>
/// <item><c>AGGREGATOR_SIDE_OUTPUT_BUCKET</c>, <c>AGGREGATOR_SIDE_OUTPUT_PREFIX</c> (default <c>late/</c>): late and unreadable
/// records; without a bucket they are counted and logged only.</item>
/// </list>
/// With <c>TumblingWindowInSeconds</c> on the event source mapping it aggregates Lambda's own processing-time windows
/// instead, the state travelling in the event (spilled to the state table past 600 KB).
/// A failure throws: Lambda retries the batch, which replays on the last committed state.
/// </summary>
internal sealed class AggregatorFunction(KinesisWindowAggregator aggregator, LambdaTumblingWindowAggregator tumbling)
{
    public static AggregatorFunction FromEnvironment(IEnvironmentVariables environment)
    {
        string Require(string name) => environment.Setting(name) ?? throw new ArgumentException($"Set {name}.");
        var config = AggregatorConfig.Parse(environment.SettingOrFile("AGGREGATOR_CONFIG", "AGGREGATOR_CONFIG_FILE")
            ?? throw new ArgumentException("Set AGGREGATOR_CONFIG (JSON) or AGGREGATOR_CONFIG_FILE."));
        var clients = new AwsClientFactory(AwsSettings.FromEnvironment(environment));
        var dynamo = clients.CreateDynamoDBClient();
        ISideOutput? side = environment.Setting("AGGREGATOR_SIDE_OUTPUT_BUCKET") is { } bucket
            ? new S3SideOutput(clients.CreateS3Client(), bucket, environment.Setting("AGGREGATOR_SIDE_OUTPUT_PREFIX") ?? "late/")
            : null;
        var results = new DynamoDbWindowResultWriter(dynamo, Require("AGGREGATOR_RESULTS_TABLE"));
        var stateTable = Require("AGGREGATOR_STATE_TABLE");
        return new AggregatorFunction(
            new KinesisWindowAggregator(config, new DynamoDbAggregatorStateStore(dynamo, stateTable), results, side, onStage: Failpoints.FromEnvironment<AggregatorStage>(environment)),
            new LambdaTumblingWindowAggregator(config, results, new DynamoDbSnapshotSpill(dynamo, stateTable), side));
    }

    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        if (LambdaEventSource.Of(payload) is not "aws:kinesis" and var other)
        {
            throw new ArgumentException($"Aggregator is triggered by Kinesis; this event's source is '{other ?? "unknown"}'.");
        }

        // With TumblingWindowInSeconds on the mapping, Lambda's own windows: the state travels in the event and the response.
        var windowed = JsonSerializer.Deserialize(payload.Span, LambdaEventsJsonContext.Default.KinesisTimeWindowEvent)!;
        if (windowed.Window is not null)
        {
            var (response, done) = await tumbling.ProcessAsync(windowed, cancellationToken).ConfigureAwait(false);
            context.Logger.Info("window", new("records", done.Records), new("invalid", done.Invalid), new("results", done.Results), new("spilled", done.Spilled), new("final", windowed.IsFinalInvokeForWindow));
            return JsonSerializer.SerializeToUtf8Bytes(response, LambdaEventsJsonContext.Default.KinesisTimeWindowResponse);
        }

        var result = await aggregator.ProcessAsync(windowed, cancellationToken).ConfigureAwait(false);
        context.Logger.Info("aggregated",
            new("records", result.Records),
            new("skipped", result.Skipped),
            new("applied", result.Applied),
            new("late", result.Late),
            new("invalid", result.Invalid),
            new("results", result.Results),
            new("watermark", result.Watermark));
        return "{\"batchItemFailures\":[]}"u8.ToArray();
    }
}
