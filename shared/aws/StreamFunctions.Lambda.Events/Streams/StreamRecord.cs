using System.Globalization;

namespace StreamFunctions.Lambda.Events.Streams;

/// <summary>Which stream service a <see cref="StreamRecordBatch"/> came from.</summary>
public enum StreamSourceKind
{
    /// <summary>A Kinesis data stream (<c>aws:kinesis</c>): records may be KPL aggregates.</summary>
    Kinesis,

    /// <summary>A Kafka topic, Amazon MSK (<c>aws:kafka</c>) or self-managed (<c>SelfManagedKafka</c>).</summary>
    Kafka,
}

/// <summary>A Kafka record header: its name and its bytes (a slice of the batch's pooled buffer).</summary>
/// <param name="Name">The header's name.</param>
/// <param name="Value">Its bytes; valid until the batch is disposed.</param>
public readonly record struct StreamRecordHeader(string Name, ReadOnlyMemory<byte> Value);

/// <summary>
/// One record of a stream batch, Kinesis or Kafka: where it is (<see cref="Partition"/>, <see cref="Sequence"/>), its
/// key, its time and its bytes. The bytes are a slice of the batch's pooled buffer: valid until the batch is disposed.
/// What every record of a partition repeats (stream, shard, ARN, region, topic) is in the shared <see cref="Partition"/>.
/// </summary>
public readonly struct StreamRecord
{
    private readonly string? _sequenceNumber;

    internal StreamRecord(StreamPartition partition, string? sequenceNumber, long offset, string? partitionKey, ReadOnlyMemory<byte>? key, DateTimeOffset timestamp, ReadOnlyMemory<byte> data, string? timestampType, IReadOnlyList<StreamRecordHeader>? headers)
    {
        Partition = partition;
        _sequenceNumber = sequenceNumber;
        Offset = offset;
        PartitionKey = partitionKey;
        Key = key;
        Timestamp = timestamp;
        Data = data;
        TimestampType = timestampType;
        Headers = headers ?? [];
    }

    /// <summary>The shard or topic-partition, shared by its records.</summary>
    public StreamPartition Partition { get; }

    /// <summary>The Kinesis sequence number, or the Kafka offset in decimal: what <c>batchItemFailures</c> names it by.</summary>
    public string Sequence => _sequenceNumber ?? Offset.ToString(CultureInfo.InvariantCulture);

    /// <summary>The Kafka offset (0 for a Kinesis record).</summary>
    public long Offset { get; }

    /// <summary>The Kinesis partition key (empty when the event has none); null for a Kafka record (see <see cref="Key"/>).</summary>
    public string? PartitionKey { get; }

    /// <summary>The Kafka key's bytes; null for a record without a key, and for a Kinesis record.</summary>
    public ReadOnlyMemory<byte>? Key { get; }

    /// <summary>Kinesis's approximate arrival time, or the Kafka record's timestamp.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The record's bytes (Kinesis <c>data</c>, Kafka <c>value</c>; empty for a tombstone); valid until the batch is disposed.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Kafka's <c>CREATE_TIME</c> or <c>LOG_APPEND_TIME</c>; null for Kinesis.</summary>
    public string? TimestampType { get; }

    /// <summary>The Kafka headers, in order (empty when none).</summary>
    public IReadOnlyList<StreamRecordHeader> Headers { get; }

    /// <summary>Whether the bytes may be a KPL aggregate (Kinesis).</summary>
    public bool MayBeAggregated => Partition.Kind == StreamSourceKind.Kinesis;

    /// <summary>Lambda's Kinesis event id, <c>shardId:sequenceNumber</c> (the sequence alone without a shard).</summary>
    public string EventId => Partition.ShardId is { } shard ? shard + ":" + Sequence : Sequence;

    /// <summary>The first Kafka header of that name, or null.</summary>
    /// <param name="name">The header's name.</param>
    /// <returns>Its bytes, or null.</returns>
    public ReadOnlyMemory<byte>? GetHeader(string name)
    {
        foreach (var header in Headers)
        {
            if (header.Name == name)
            {
                return header.Value;
            }
        }

        return null;
    }
}
