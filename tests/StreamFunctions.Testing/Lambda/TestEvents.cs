using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.Streams;

namespace StreamFunctions.Testing.Lambda;

/// <summary>
/// An event built in a test as a contract object, read the way a function reads its invocation: the object's JSON
/// through the one event reader into a <see cref="StreamRecordBatch"/>.
/// </summary>
public static class TestEvents
{
    /// <summary>The Kinesis event's records.</summary>
    public static StreamRecordBatch Read(KinesisEvent evnt) =>
        KinesisEventReader.Read(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KinesisEvent));

    /// <summary>The tumbling-window Kinesis event's records, with its window and state.</summary>
    public static StreamRecordBatch Read(KinesisTimeWindowEvent evnt) =>
        KinesisEventReader.Read(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KinesisTimeWindowEvent));

    /// <summary>The Kafka event's records (MSK or self-managed).</summary>
    public static StreamRecordBatch Read(KafkaEvent evnt) =>
        KafkaEventReader.Read(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KafkaEvent));
}
