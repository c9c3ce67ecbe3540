using StreamFunctions.Lambda.Events.Exceptions;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;

namespace StreamFunctions.Lambda.Events.Streams;

/// <summary>Reads a stream event, Kinesis or Kafka, by its source, into the one record model every function works on.</summary>
public static class StreamEventReader
{
    /// <summary>Whether <paramref name="source"/> (from <see cref="LambdaEventSource.Of"/>) is a stream this reader reads.</summary>
    /// <param name="source">The event's source.</param>
    /// <returns>True for <c>aws:kinesis</c>, <c>aws:kafka</c> and <c>SelfManagedKafka</c>.</returns>
    public static bool IsStream(string? source) => source is "aws:kinesis" or "aws:kafka" or "SelfManagedKafka";

    /// <summary>Reads the event of a stream source.</summary>
    /// <param name="payload">The event's UTF-8 JSON.</param>
    /// <param name="source">Its source, from <see cref="LambdaEventSource.Of"/>: <c>aws:kinesis</c>, <c>aws:kafka</c> or <c>SelfManagedKafka</c>.</param>
    /// <returns>The batch; dispose it when done with the records.</returns>
    /// <exception cref="KinesisEventFormatException">A Kinesis event is malformed (the message names the JSON path).</exception>
    /// <exception cref="LambdaEventFormatException">A Kafka event is malformed (the message names the JSON path).</exception>
    /// <exception cref="ArgumentException">The source is not a stream.</exception>
    public static StreamRecordBatch Read(ReadOnlySpan<byte> payload, string? source) => source switch
    {
        "aws:kinesis" => KinesisEventReader.Read(payload),
        "aws:kafka" or "SelfManagedKafka" => KafkaEventReader.Read(payload),
        _ => throw new ArgumentException($"Not a stream event: its source is {LambdaEventSource.Describe(source)}.", nameof(source)),
    };
}
