using System.Text.Json.Serialization;
using StreamFunctions.Lambda.Events.Serialization;

namespace StreamFunctions.Lambda.Events.Firehose;

/// <summary>The request of Firehose's data-transformation contract: a batch of records to transform.</summary>
public sealed class KinesisFirehoseEvent
{
    /// <summary>The invocation's id.</summary>
    [JsonPropertyName("invocationId")]
    public string? InvocationId { get; set; }

    /// <summary>The delivery stream's ARN.</summary>
    [JsonPropertyName("deliveryStreamArn")]
    public string? DeliveryStreamArn { get; set; }

    /// <summary>The source Kinesis stream's ARN, when the delivery stream reads one.</summary>
    [JsonPropertyName("sourceKinesisStreamArn")]
    public string? SourceKinesisStreamArn { get; set; }

    /// <summary>The region.</summary>
    [JsonPropertyName("region")]
    public string? Region { get; set; }

    /// <summary>The records.</summary>
    [JsonPropertyName("records")]
    public IList<FirehoseRecord> Records { get; set; } = [];
}

/// <summary>A record to transform.</summary>
public sealed class FirehoseRecord
{
    /// <summary>The id the response must echo.</summary>
    [JsonPropertyName("recordId")]
    public string? RecordId { get; set; }

    /// <summary>Epoch milliseconds.</summary>
    [JsonPropertyName("approximateArrivalTimestamp")]
    public long ApproximateArrivalTimestamp { get; set; }

    /// <summary>The record's bytes (base64 in JSON).</summary>
    [JsonPropertyName("data")]
    [JsonConverter(typeof(Base64DataConverter))]
    public byte[] Data { get; set; } = [];

    /// <summary>For a Kinesis source: where the record came from.</summary>
    [JsonPropertyName("kinesisRecordMetadata")]
    public KinesisRecordMetadata? KinesisRecordMetadata { get; set; }
}

/// <summary>The source Kinesis record of a Firehose record.</summary>
public sealed class KinesisRecordMetadata
{
    /// <summary>The shard.</summary>
    [JsonPropertyName("shardId")]
    public string? ShardId { get; set; }

    /// <summary>The partition key.</summary>
    [JsonPropertyName("partitionKey")]
    public string? PartitionKey { get; set; }

    /// <summary>Epoch milliseconds.</summary>
    [JsonPropertyName("approximateArrivalTimestamp")]
    public long ApproximateArrivalTimestamp { get; set; }

    /// <summary>The sequence number.</summary>
    [JsonPropertyName("sequenceNumber")]
    public string? SequenceNumber { get; set; }

    /// <summary>The user record's index inside a KPL-aggregated record.</summary>
    [JsonPropertyName("subsequenceNumber")]
    public long? SubsequenceNumber { get; set; }
}

/// <summary>The response of the data-transformation contract: one result per request record, same ids.</summary>
public sealed class KinesisFirehoseResponse
{
    /// <summary>The record was transformed.</summary>
    public const string Ok = "Ok";

    /// <summary>The record is intentionally dropped.</summary>
    public const string Dropped = "Dropped";

    /// <summary>The record could not be transformed: Firehose delivers it to the error prefix.</summary>
    public const string ProcessingFailed = "ProcessingFailed";

    /// <summary>The results.</summary>
    [JsonPropertyName("records")]
    public IList<FirehoseResponseRecord> Records { get; set; } = [];
}

/// <summary>One transformation result.</summary>
public sealed class FirehoseResponseRecord
{
    /// <summary>The request record's id.</summary>
    [JsonPropertyName("recordId")]
    public string? RecordId { get; set; }

    /// <summary><see cref="KinesisFirehoseResponse.Ok"/>, <see cref="KinesisFirehoseResponse.Dropped"/> or <see cref="KinesisFirehoseResponse.ProcessingFailed"/>.</summary>
    [JsonPropertyName("result")]
    public string? Result { get; set; }

    /// <summary>The transformed bytes (base64 in JSON).</summary>
    [JsonPropertyName("data")]
    [JsonConverter(typeof(Base64DataConverter))]
    public byte[]? Data { get; set; }

    /// <summary>Dynamic-partitioning keys.</summary>
    [JsonPropertyName("metadata")]
    public FirehoseResponseMetadata? Metadata { get; set; }
}

/// <summary>Metadata of a transformation result.</summary>
public sealed class FirehoseResponseMetadata
{
    /// <summary>Keys for dynamic partitioning (<c>!{partitionKeyFromLambda:name}</c>).</summary>
    [JsonPropertyName("partitionKeys")]
    public IDictionary<string, string>? PartitionKeys { get; set; }
}
