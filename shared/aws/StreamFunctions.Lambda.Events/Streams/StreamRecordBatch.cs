using System.Buffers;
using System.Text.Json;

namespace StreamFunctions.Lambda.Events.Streams;

/// <summary>
/// The records of one Kinesis or Kafka event, grouped by shard or topic-partition (<see cref="Partitions"/>), each
/// group in stream order. Owns the pooled buffer every record's bytes live in: dispose it when done with them.
/// Read with <see cref="StreamEventReader"/> (or <see cref="Kinesis.KinesisEventReader"/>, <see cref="Kafka.KafkaEventReader"/>).
/// </summary>
public sealed class StreamRecordBatch : IDisposable
{
    private byte[]? _buffer;
    private StreamRecord[]? _array;

    internal StreamRecordBatch(string eventSource, StreamSourceKind kind, byte[]? buffer, StreamRecord[] array, IReadOnlyList<StreamRecord> records, IReadOnlyList<StreamPartition> partitions, string? eventSourceArn, string? bootstrapServers, KinesisTumblingWindow? window)
    {
        EventSource = eventSource;
        Kind = kind;
        _buffer = buffer;
        _array = array;
        Records = records;
        Partitions = partitions;
        EventSourceArn = eventSourceArn;
        BootstrapServers = bootstrapServers;
        Window = window;
    }

    /// <summary><c>aws:kinesis</c>, <c>aws:kafka</c> or <c>SelfManagedKafka</c>.</summary>
    public string EventSource { get; }

    /// <summary>Kinesis or Kafka.</summary>
    public StreamSourceKind Kind { get; }

    /// <summary>Every record, partition after partition (for Kinesis, whose events hold one shard, that is event order).</summary>
    public IReadOnlyList<StreamRecord> Records { get; }

    /// <summary>The shards or topic-partitions, in the order the event first names them; none without records.</summary>
    public IReadOnlyList<StreamPartition> Partitions { get; }

    /// <summary>The event-level source ARN: the MSK cluster's (Kafka <c>eventSourceArn</c>), or the stream's of a tumbling-window event; null when absent.</summary>
    public string? EventSourceArn { get; }

    /// <summary>The Kafka brokers, comma-separated; null for Kinesis.</summary>
    public string? BootstrapServers { get; }

    /// <summary>The tumbling window of a Kinesis event with one (<c>TumblingWindowInSeconds</c> on the mapping); null otherwise.</summary>
    public KinesisTumblingWindow? Window { get; }

    /// <summary>Returns the buffers to the pool: the records and their bytes must not be used afterwards.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // The records hold references (partitions, keys): cleared, so that the pool keeps nothing alive.
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<StreamRecord>.Shared.Return(array, clearArray: true);
        }
    }
}

/// <summary>The window of a Kinesis tumbling-window event: its bounds, the state so far, and whether this is its last invocation.</summary>
/// <param name="Start">Inclusive start.</param>
/// <param name="End">Exclusive end.</param>
/// <param name="State">The state the function returned last for this window (empty at a window's start).</param>
/// <param name="ShardId">The event's <c>shardId</c>, if any.</param>
/// <param name="IsFinalInvokeForWindow">True on the window's last invocation: the state is final.</param>
/// <param name="IsWindowTerminatedEarly">True when the window ended early (its state passed 1 MB).</param>
public sealed record KinesisTumblingWindow(DateTimeOffset Start, DateTimeOffset End, IReadOnlyDictionary<string, JsonElement> State, string? ShardId, bool IsFinalInvokeForWindow, bool IsWindowTerminatedEarly);
