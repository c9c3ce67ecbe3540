using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Testing.Lambda;

namespace StreamFunctions.Router.Tests;

/// <summary>The router given events built as contract objects, read as the handler reads its payload.</summary>
internal static class RouterEvents
{
    public static async Task<RouterResult> RouteAsync(this StreamRouter router, KinesisEvent evnt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        using var batch = TestEvents.Read(evnt);
        return await router.RouteAsync(batch, deadline, cancellationToken);
    }

    public static async Task<RouterResult> RouteAsync(this StreamRouter router, KafkaEvent evnt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        using var batch = TestEvents.Read(evnt);
        return await router.RouteAsync(batch, deadline, cancellationToken);
    }
}
