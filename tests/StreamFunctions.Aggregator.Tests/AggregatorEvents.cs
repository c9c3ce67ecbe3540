using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Testing.Lambda;

namespace StreamFunctions.Aggregator.Tests;

/// <summary>The aggregator given events built as contract objects, read as the handler reads its payload.</summary>
internal static class AggregatorEvents
{
    public static async Task<AggregatorBatchResult> ProcessAsync(this StreamWindowAggregator aggregator, KinesisEvent evnt, CancellationToken cancellationToken = default)
    {
        using var batch = TestEvents.Read(evnt);
        return await aggregator.ProcessAsync(batch, cancellationToken);
    }

    public static async Task<AggregatorBatchResult> ProcessAsync(this StreamWindowAggregator aggregator, KafkaEvent evnt, CancellationToken cancellationToken = default)
    {
        using var batch = TestEvents.Read(evnt);
        return await aggregator.ProcessAsync(batch, cancellationToken);
    }

    public static async Task<(KinesisTimeWindowResponse Response, TumblingWindowResult Result)> ProcessAsync(this LambdaTumblingWindowAggregator aggregator, KinesisTimeWindowEvent evnt, CancellationToken cancellationToken = default)
    {
        using var batch = TestEvents.Read(evnt);
        return await aggregator.ProcessAsync(batch, cancellationToken);
    }
}
