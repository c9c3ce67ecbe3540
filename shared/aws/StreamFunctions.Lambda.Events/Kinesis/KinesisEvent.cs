using System.Text.Json;
using System.Text.Json.Serialization;
using StreamFunctions.Lambda.Events.Serialization;

namespace StreamFunctions.Lambda.Events.Kinesis;

/// <summary>The event Lambda's Kinesis event source mapping sends: a batch of records from one shard.</summary>
public class KinesisEvent
{
    /// <summary>The records, in shard order.</summary>
    [JsonPropertyName("Records")]
    public IList<KinesisEventRecord> Records { get; set; } = [];
}

/// <summary>One record of a Kinesis event, with where it came from.</summary>
public sealed class KinesisEventRecord
{
    /// <summary>The stream's region.</summary>
    [JsonPropertyName("awsRegion")]
    public string? AwsRegion { get; set; }

    /// <summary><c>shardId:sequenceNumber</c>.</summary>
    [JsonPropertyName("eventID")]
    public string? EventId { get; set; }

    /// <summary><c>aws:kinesis:record</c>.</summary>
    [JsonPropertyName("eventName")]
    public string? EventName { get; set; }

    /// <summary><c>aws:kinesis</c>.</summary>
    [JsonPropertyName("eventSource")]
    public string? EventSource { get; set; }

    /// <summary>The stream's ARN (or the consumer's, for enhanced fan-out).</summary>
    [JsonPropertyName("eventSourceARN")]
    public string? EventSourceArn { get; set; }

    /// <summary><c>1.0</c>.</summary>
    [JsonPropertyName("eventVersion")]
    public string? EventVersion { get; set; }

    /// <summary>The role Lambda read the stream with.</summary>
    [JsonPropertyName("invokeIdentityArn")]
    public string? InvokeIdentityArn { get; set; }

    /// <summary>The Kinesis record.</summary>
    [JsonPropertyName("kinesis")]
    public KinesisRecord Kinesis { get; set; } = new();
}

/// <summary>The Kinesis record inside an event record.</summary>
public sealed class KinesisRecord
{
    /// <summary><c>1.0</c>.</summary>
    [JsonPropertyName("kinesisSchemaVersion")]
    public string? KinesisSchemaVersion { get; set; }

    /// <summary>The partition key.</summary>
    [JsonPropertyName("partitionKey")]
    public string? PartitionKey { get; set; }

    /// <summary>The sequence number.</summary>
    [JsonPropertyName("sequenceNumber")]
    public string? SequenceNumber { get; set; }

    /// <summary>The record's bytes (base64 in JSON).</summary>
    [JsonPropertyName("data")]
    [JsonConverter(typeof(Base64DataConverter))]
    public byte[] Data { get; set; } = [];

    /// <summary>When Kinesis accepted the record (epoch seconds with milliseconds in JSON).</summary>
    [JsonPropertyName("approximateArrivalTimestamp")]
    [JsonConverter(typeof(EpochSecondsConverter))]
    public DateTimeOffset ApproximateArrivalTimestamp { get; set; }

    /// <summary><c>KMS</c> for server-side encrypted streams; absent otherwise.</summary>
    [JsonPropertyName("encryptionType")]
    public string? EncryptionType { get; set; }
}

/// <summary>A Kinesis event with a tumbling window (<c>TumblingWindowInSeconds</c>): the window, its state so far, and whether this is its final invocation.</summary>
public sealed class KinesisTimeWindowEvent : KinesisEvent
{
    /// <summary>The window the records belong to.</summary>
    [JsonPropertyName("window")]
    public TimeWindow? Window { get; set; }

    /// <summary>The state the function returned last for this window (any JSON values); empty at a window's start.</summary>
    [JsonPropertyName("state")]
    public IDictionary<string, JsonElement>? State { get; set; }

    /// <summary>The shard.</summary>
    [JsonPropertyName("shardId")]
    public string? ShardId { get; set; }

    /// <summary>The stream's ARN.</summary>
    [JsonPropertyName("eventSourceARN")]
    public string? EventSourceArn { get; set; }

    /// <summary>True on the window's last invocation: the state is final.</summary>
    [JsonPropertyName("isFinalInvokeForWindow")]
    public bool IsFinalInvokeForWindow { get; set; }

    /// <summary>True when the window ended early (its state passed 1 MB); the next invocation continues it with fresh state.</summary>
    [JsonPropertyName("isWindowTerminatedEarly")]
    public bool IsWindowTerminatedEarly { get; set; }
}

/// <summary>A tumbling window's bounds.</summary>
public sealed class TimeWindow
{
    /// <summary>Inclusive start.</summary>
    [JsonPropertyName("start")]
    [JsonConverter(typeof(IsoUtcConverter))]
    public DateTimeOffset Start { get; set; }

    /// <summary>Exclusive end.</summary>
    [JsonPropertyName("end")]
    [JsonConverter(typeof(IsoUtcConverter))]
    public DateTimeOffset End { get; set; }
}

/// <summary>What a tumbling-window function returns: the window's state so far, and failed records.</summary>
public sealed class KinesisTimeWindowResponse
{
    /// <summary>The state to pass to the window's next invocation.</summary>
    [JsonPropertyName("state")]
    public IDictionary<string, JsonElement> State { get; set; } = new Dictionary<string, JsonElement>();

    /// <summary>The records to retry.</summary>
    [JsonPropertyName("batchItemFailures")]
    public IList<BatchItemFailure> BatchItemFailures { get; set; } = [];
}
