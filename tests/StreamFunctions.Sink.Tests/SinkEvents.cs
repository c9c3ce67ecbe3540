using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Testing.Lambda;

namespace StreamFunctions.Sink.Tests;

/// <summary>The sink given events built as contract objects, read as the handler reads its payload.</summary>
internal static class SinkEvents
{
    public static async Task<SinkResult> WriteAsync(this S3Sink sink, KinesisEvent evnt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        using var batch = TestEvents.Read(evnt);
        return await sink.WriteAsync(batch, deadline, cancellationToken);
    }

    public static async Task<SinkResult> WriteAsync(this S3Sink sink, KafkaEvent evnt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        using var batch = TestEvents.Read(evnt);
        return await sink.WriteAsync(batch, deadline, cancellationToken);
    }

    public static async Task<SinkEncoding> EncodeAsync(this S3Sink sink, KinesisEvent evnt)
    {
        using var batch = TestEvents.Read(evnt);
        return await sink.EncodeAsync(batch);
    }
}
