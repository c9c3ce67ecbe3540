using System.Buffers;
using System.Text.Json;

namespace StreamFunctions.Sink;

/// <summary>
/// Firehose's error output: the <c>!{firehose:error-output-type}</c> values the error prefix is rendered with, and
/// one error record as a JSON line (the error, the payload as <c>rawData</c>, and where it came from).
/// </summary>
internal static class FirehoseErrorRecord
{
    /// <summary>A record that could not be read (a corrupt KPL aggregate) or that the transformation failed.</summary>
    public const string ProcessingFailed = "processing-failed";

    /// <summary>A record whose partition keys could not be extracted, or whose prefix cannot be an object key.</summary>
    public const string PartitioningFailed = "partitioning-failed";

    /// <summary>A record that would open a partition over <see cref="S3SinkOptions.MaxActivePartitions"/>.</summary>
    public const string ActivePartitionExceeded = "activePartitionExceeded";

    /// <summary>A record (or a partition's records) that does not convert to Parquet.</summary>
    public const string FormatConversionFailed = "format-conversion-failed";

    /// <summary>Every error output type the sink renders its error prefix with.</summary>
    public static readonly string[] OutputTypes = [ProcessingFailed, PartitioningFailed, ActivePartitionExceeded, FormatConversionFailed];

    /// <summary>Writes one error record and its newline.</summary>
    /// <param name="buffer">Where.</param>
    /// <param name="stream">The source stream or topic.</param>
    /// <param name="shard">The source shard or partition.</param>
    /// <param name="time">The clock (the attempt's end).</param>
    /// <param name="errorCode">Firehose's error code.</param>
    /// <param name="message">Why.</param>
    /// <param name="rawData">The record's bytes.</param>
    /// <param name="arrival">When the source record arrived, if one record.</param>
    /// <param name="lambdaArn">The transformation's function, for its failures.</param>
    /// <param name="sequence">The source record's sequence number (or offset).</param>
    /// <param name="subsequence">The user record's index in its KPL aggregate.</param>
    /// <param name="partitionKey">The source record's partition key.</param>
    /// <param name="partition">The partition's prefix, for a partition's failure.</param>
    public static void Write(
        IBufferWriter<byte> buffer,
        string stream,
        string shard,
        TimeProvider time,
        string errorCode,
        string message,
        ReadOnlySpan<byte> rawData,
        DateTimeOffset? arrival = null,
        string? lambdaArn = null,
        string? sequence = null,
        long? subsequence = null,
        string? partitionKey = null,
        string? partition = null)
    {
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("attemptsMade", 1);
            if (arrival is { } at)
            {
                writer.WriteNumber("arrivalTimestamp", at.ToUnixTimeMilliseconds());
            }

            writer.WriteString("errorCode", errorCode);
            writer.WriteString("errorMessage", message);
            writer.WriteNumber("attemptEndingTimestamp", time.GetUtcNow().ToUnixTimeMilliseconds());
            writer.WriteBase64String("rawData", rawData);
            WriteIfSet(writer, "lambdaArn", lambdaArn);
            writer.WriteString("stream", stream);
            writer.WriteString("shard", shard);
            WriteIfSet(writer, "sequenceNumber", sequence);
            if (subsequence is { } sub)
            {
                writer.WriteNumber("subSequenceNumber", sub);
            }

            WriteIfSet(writer, "partitionKey", partitionKey);
            WriteIfSet(writer, "partition", partition);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);

        static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
        {
            if (value is not null)
            {
                writer.WriteString(name, value);
            }
        }
    }
}
