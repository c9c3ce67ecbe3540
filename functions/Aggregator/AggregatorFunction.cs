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
/// A failure throws: Lambda retries the batch, which replays on the last committed state.
/// </summary>
internal sealed class AggregatorFunction(KinesisWindowAggregator aggregator)
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
        return new AggregatorFunction(new KinesisWindowAggregator(
            config,
            new DynamoDbAggregatorStateStore(dynamo, Require("AGGREGATOR_STATE_TABLE")),
            new DynamoDbWindowResultWriter(dynamo, Require("AGGREGATOR_RESULTS_TABLE")),
            side,
            onStage: Failpoints.FromEnvironment<AggregatorStage>(environment)));
    }

    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        if (LambdaEventSource.Of(payload) is not "aws:kinesis" and var other)
        {
            throw new ArgumentException($"Aggregator is triggered by Kinesis; this event's source is '{other ?? "unknown"}'.");
        }

        var result = await aggregator.ProcessAsync(JsonSerializer.Deserialize(payload.Span, LambdaEventsJsonContext.Default.KinesisEvent)!, cancellationToken).ConfigureAwait(false);
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
