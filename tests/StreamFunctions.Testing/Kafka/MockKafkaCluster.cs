using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace StreamFunctions.Testing.Kafka;

/// <summary>
/// librdkafka's in-process mock cluster (the real Kafka protocol on loopback ports), for produce and
/// consume tests: no broker installs here. Topics are created on first use.
/// </summary>
public sealed partial class MockKafkaCluster : IDisposable
{
    private const short ProduceApiKey = 0;

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

    /// <summary>
    /// Makes the cluster answer the next produce requests (any broker, any partition) with these errors, one
    /// per request, in order: the broker faults an idempotent producer must ride out without losing,
    /// duplicating or reordering a message (e.g. <see cref="ErrorCode.NotLeaderForPartition"/>,
    /// <see cref="ErrorCode.NotEnoughReplicas"/>, <see cref="ErrorCode.RequestTimedOut"/>). This is librdkafka's
    /// <c>rd_kafka_mock_push_request_errors_array</c>, which Confluent.Kafka does not wrap.
    /// </summary>
    /// <param name="errors">The errors.</param>
    public void FailNextProduceRequests(params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var handle = (SafeHandle)(typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(_owner.Handle)
            ?? throw new InvalidOperationException("This Confluent.Kafka version does not expose its librdkafka handle."));
        var cluster = NativeMethods.HandleMockCluster(handle.DangerousGetHandle());
        if (cluster == IntPtr.Zero)
        {
            throw new InvalidOperationException("The client does not own a mock cluster.");
        }

        NativeMethods.PushRequestErrors(cluster, ProduceApiKey, (nuint)errors.Length, [.. errors.Select(e => (int)e)]);
        GC.KeepAlive(handle);
    }

    /// <inheritdoc />
    public void Dispose() => _owner.Dispose();

    private static partial class NativeMethods
    {
        static NativeMethods() => NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, (name, assembly, path) =>
            name == "librdkafka" && LoadedLibrdkafka() is { } loaded ? NativeLibrary.Load(loaded) : IntPtr.Zero);

        // Confluent.Kafka picks one of the package's librdkafka builds (e.g. the one without SASL dependencies); bind to that same one.
        private static string? LoadedLibrdkafka() =>
            File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6)
                .Select(f => f[^1]).FirstOrDefault(p => Path.GetFileName(p).EndsWith("librdkafka.so", StringComparison.Ordinal));

        [LibraryImport("librdkafka", EntryPoint = "rd_kafka_handle_mock_cluster")]
        public static partial IntPtr HandleMockCluster(IntPtr client);

        [LibraryImport("librdkafka", EntryPoint = "rd_kafka_mock_push_request_errors_array")]
        public static partial void PushRequestErrors(IntPtr cluster, short apiKey, nuint count, int[] errors);
    }
}
