namespace StreamFunctions.Lambda.Events.Streams;

/// <summary>
/// A shard of a Kinesis stream or a partition of a Kafka topic, as one batch names it: the unit of order, and what its
/// records share (read once per event, not once per record).
/// </summary>
public sealed class StreamPartition
{
    internal StreamPartition(StreamSourceKind kind, string key, string? sourceArn, string? streamName, string? shardId, string? region, string? topic, int kafkaPartition)
    {
        Kind = kind;
        Key = key;
        SourceArn = sourceArn;
        StreamName = streamName;
        ShardId = shardId;
        Region = region;
        Topic = topic;
        KafkaPartition = kafkaPartition;
    }

    /// <summary>Kinesis or Kafka.</summary>
    public StreamSourceKind Kind { get; }

    /// <summary>What the batch orders by: the Kinesis shard id (<c>shardId-000000000000</c> when the event names none), or the Kafka <c>topic-partition</c> as the event groups it.</summary>
    public string Key { get; }

    /// <summary>The Kinesis stream's ARN (or the consumer's, for enhanced fan-out), or the MSK cluster's ARN; null when the event has none (self-managed Kafka).</summary>
    public string? SourceArn { get; }

    /// <summary>The Kinesis stream's name (the ARN's last segment, or the ARN itself when it has no <c>/</c>); null for Kafka or without an ARN.</summary>
    public string? StreamName { get; }

    /// <summary>The Kinesis shard from <c>eventID</c>; null for Kafka, or when the event has no <c>eventID</c>.</summary>
    public string? ShardId { get; }

    /// <summary>The Kinesis stream's region; null for Kafka.</summary>
    public string? Region { get; }

    /// <summary>The Kafka topic (the first record's <c>topic</c>, else the <c>topic-partition</c> name less its partition); null for Kinesis.</summary>
    public string? Topic { get; }

    /// <summary>The Kafka partition number (the first record's <c>partition</c>); 0 for Kinesis.</summary>
    public int KafkaPartition { get; }

    /// <summary>The partition's records, in stream order; valid until the batch is disposed.</summary>
    public IReadOnlyList<StreamRecord> Records { get; internal set; } = [];
}
