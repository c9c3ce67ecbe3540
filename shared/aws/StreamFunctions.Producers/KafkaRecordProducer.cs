using System.Text;
using Confluent.Kafka;

namespace StreamFunctions.Producers;

/// <summary>Options of <see cref="KafkaRecordProducer"/>.</summary>
public sealed class KafkaProducerOptions
{
    /// <summary>The brokers, <c>host:port,…</c>.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>Batch compression: <c>lz4</c> (default), <c>zstd</c>, <c>gzip</c>, <c>snappy</c> or <c>none</c>.</summary>
    public string Compression { get; init; } = "lz4";

    /// <summary>How long librdkafka may keep retrying one message (<c>message.timeout.ms</c>); keep it below the function's timeout.</summary>
    public TimeSpan MessageTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long librdkafka waits to fill a batch (<c>linger.ms</c>).</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>More librdkafka properties (security, SASL, <c>test.mock.num.brokers</c>, …); they win over the above.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>Reads librdkafka properties written as <c>name=value;name=value</c> (how functions take them from the environment).</summary>
    /// <param name="value">The properties; null or empty gives none.</param>
    /// <returns>The properties.</returns>
    /// <exception cref="ArgumentException">An entry is not <c>name=value</c>.</exception>
    public static Dictionary<string, string> ParseProperties(string? value)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (value ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new ArgumentException($"Kafka property '{pair}' is not name=value.");
            }

            properties[pair[..at]] = pair[(at + 1)..];
        }

        return properties;
    }

    /// <summary>The librdkafka configuration these options make.</summary>
    /// <returns>The configuration.</returns>
    public ProducerConfig ToConfig()
    {
        RequireJitForKafka();
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            // Exactly once per partition and in order across librdkafka's own retries.
            EnableIdempotence = true,
            Acks = Acks.All,
            MaxInFlight = 5,
            CompressionType = Compression.ToUpperInvariant() switch
            {
                "LZ4" => CompressionType.Lz4,
                "ZSTD" => CompressionType.Zstd,
                "GZIP" => CompressionType.Gzip,
                "SNAPPY" => CompressionType.Snappy,
                "NONE" => CompressionType.None,
                _ => throw new ArgumentException($"Unknown Kafka compression '{Compression}': use lz4, zstd, gzip, snappy or none."),
            },
            MessageTimeoutMs = (int)MessageTimeout.TotalMilliseconds,
            LingerMs = Linger.TotalMilliseconds,
            // Keyed records land where the Java client's default partitioner puts them.
            Partitioner = Partitioner.Murmur2Random,
        };
        foreach (var (name, value) in Properties)
        {
            config.Set(name, value);
        }

        return config;
    }

    /// <summary>
    /// A Native AOT build cannot write to Kafka: Confluent.Kafka 2.16 loads librdkafka through its own loader, which
    /// looks for the library beside its assembly's file (a native binary has none) and binds it by reflection. Rooting
    /// Confluent.Kafka keeps the reflection working, but the library still does not load. Rather than fail obscurely
    /// inside Confluent.Kafka, say so.
    /// </summary>
    /// <exception cref="NotSupportedException">This is a Native AOT build.</exception>
    private static void RequireJitForKafka()
    {
        if (!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            throw new NotSupportedException("Writing to Kafka is not supported in a Native AOT build: Confluent.Kafka 2.16 does not load librdkafka from a native binary. Write to Kinesis, or run this function from a framework-dependent build (see the Makefile's notes).");
        }
    }
}

/// <summary>
/// Writes records to a Kafka topic through Confluent.Kafka (librdkafka) with an idempotent producer
/// (<c>enable.idempotence</c>, <c>acks=all</c>): librdkafka retries transient errors itself without
/// duplicates or reordering within a partition, so a record's result is its delivery report: partition and
/// offset, or the error. The partition key is the message key (UTF-8), partitioned by murmur2 as the Java
/// client does. Create one per process and reuse it: the producer holds connections.
/// </summary>
public sealed class KafkaRecordProducer : IRecordProducer, IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly bool _owns;
    private readonly string _topic;
    private readonly TimeProvider _time;

    /// <summary>Creates the producer and its librdkafka client.</summary>
    /// <param name="options">Options.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="time">The clock for the deadline.</param>
    public KafkaRecordProducer(KafkaProducerOptions options, string topic, TimeProvider? time = null)
        : this(new ProducerBuilder<byte[], byte[]>((options ?? throw new ArgumentNullException(nameof(options))).ToConfig()).Build(), topic, owns: true, time)
    {
    }

    /// <summary>Wraps an existing client (not disposed with this producer).</summary>
    /// <param name="producer">The client.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="time">The clock for the deadline.</param>
    public KafkaRecordProducer(IProducer<byte[], byte[]> producer, string topic, TimeProvider? time = null)
        : this(producer, topic, owns: false, time)
    {
    }

    private KafkaRecordProducer(IProducer<byte[], byte[]> producer, string topic, bool owns, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        _producer = producer;
        _owns = owns;
        _topic = topic;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Destination => "kafka:" + _topic;

    /// <summary>The librdkafka client, e.g. to read metadata.</summary>
    public IProducer<byte[], byte[]> Client => _producer;

    /// <inheritdoc />
    public async Task<IReadOnlyList<ProduceResult>> ProduceAsync(IReadOnlyList<ProducerRecord> records, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var results = new ProduceResult?[records.Count];
        var remaining = records.Count;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Lock();
        var closed = false;
        if (remaining == 0)
        {
            return [];
        }

        void Complete(int index, ProduceResult result)
        {
            lock (gate)
            {
                // A report after the deadline is not reflected: the caller already has "unknown".
                if (closed)
                {
                    return;
                }

                results[index] = result;
                if (--remaining == 0)
                {
                    done.TrySetResult();
                }
            }
        }

        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var index = i;
            if (record.ExplicitHashKey is not null)
            {
                Complete(index, ProduceResult.Failed(ProduceErrorCodes.InvalidRecord, "An explicit hash key places Kinesis records; a Kafka record is placed by its key.", 0));
                continue;
            }

            var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(record.PartitionKey), Value = record.Data.ToArray() };
            while (true)
            {
                try
                {
                    _producer.Produce(_topic, message, report => Complete(index, report.Error.IsError
                        ? ProduceResult.Failed(report.Error.Code.ToString(), report.Error.Reason, 1)
                        : new ProduceResult { Partition = report.Partition.Value, Offset = report.Offset.Value, Attempts = 1 }));
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull && _time.GetUtcNow() < deadline)
                {
                    // The local queue drains as the brokers acknowledge; serve delivery reports meanwhile.
                    _producer.Poll(TimeSpan.FromMilliseconds(50));
                }
                catch (ProduceException<byte[], byte[]> e)
                {
                    Complete(index, ProduceResult.Failed(e.Error.Code.ToString(), e.Error.Reason, 0));
                    break;
                }
            }
        }

        _producer.Poll(TimeSpan.Zero);
        var wait = deadline - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await done.Task.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        lock (gate)
        {
            closed = true;
            for (var i = 0; i < results.Length; i++)
            {
                // Still in librdkafka's hands: it may yet be delivered, so the outcome is unknown, not failed.
                results[i] ??= ProduceResult.Failed(ProduceErrorCodes.OutcomeUnknown, "No delivery report before the deadline: the message may still be delivered.", 1);
            }
        }

        return results!;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_owns)
        {
            _producer.Flush(TimeSpan.FromSeconds(10));
            _producer.Dispose();
        }
    }
}
