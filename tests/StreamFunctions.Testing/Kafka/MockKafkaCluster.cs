using Confluent.Kafka;

namespace StreamFunctions.Testing.Kafka;

/// <summary>
/// librdkafka's in-process mock cluster (the real Kafka protocol on loopback ports), for produce and
/// consume tests: no broker installs here. Topics are created on first use.
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    // The cluster lives as long as the client that created it.
    private readonly IProducer<byte[], byte[]> _owner;

    /// <summary>Starts a cluster.</summary>
    /// <param name="brokers">How many brokers.</param>
    public MockKafkaCluster(int brokers = 3)
    {
        var config = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _owner = new ProducerBuilder<byte[], byte[]>(config).Build();
        using var admin = new DependentAdminClientBuilder(_owner.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        BootstrapServers = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
    }

    /// <summary>The brokers, <c>host:port,…</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>A topic name not used before.</summary>
    /// <param name="prefix">The name's start.</param>
    /// <returns>The name.</returns>
    public static string UniqueTopic(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>How many partitions a topic has.</summary>
    /// <param name="topic">The topic.</param>
    /// <returns>The partition count.</returns>
    public int Partitions(string topic)
    {
        using var admin = new DependentAdminClientBuilder(_owner.Handle).Build();
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics[0].Partitions.Count;
    }

    /// <summary>Reads a topic from the start with a new consumer group until <paramref name="expected"/> messages arrived, then checks that no more come.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="expected">How many messages the topic should hold.</param>
    /// <returns>The messages, in partition order (interleaved across partitions).</returns>
    /// <exception cref="InvalidOperationException">More messages than expected (duplicates).</exception>
    public List<ConsumeResult<byte[], byte[]>> ConsumeAll(string topic, int expected)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "verify-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var found = new List<ConsumeResult<byte[], byte[]>>();
        var until = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while (found.Count < expected && TimeProvider.System.GetUtcNow() < until)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { Message: not null } message)
            {
                found.Add(message);
            }
        }

        if (consumer.Consume(TimeSpan.FromSeconds(1)) is { Message: not null } extra)
        {
            throw new InvalidOperationException($"{topic} holds more than the {expected} expected messages (a duplicate at {extra.TopicPartitionOffset}).");
        }

        consumer.Close();
        return found;
    }

    /// <inheritdoc />
    public void Dispose() => _owner.Dispose();
}
