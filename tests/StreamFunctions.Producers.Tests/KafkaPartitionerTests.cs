using System.Text;
using Confluent.Kafka;
using FsCheck.Xunit;
using StreamFunctions.Producers.Placement;

namespace StreamFunctions.Producers.Tests;

public sealed class KafkaPartitionerTests
{
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_KafkasUtilsTestVectors_GivesKafkasValues(string key, int expected)
    {
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.ASCII.GetBytes(key)));
    }

    [Property(MaxTest = 200)]
    public bool Partition_AnyKey_IsInRange(byte[] key, FsCheck.PositiveInt partitions)
    {
        var p = KafkaPartitioner.Partition(key ?? [], partitions.Get);
        return p >= 0 && p < partitions.Get;
    }

    [Fact]
    public async Task Partition_TenThousandKeys_MatchesLibrdkafkasMurmur2RandomPartitioner()
    {
        // librdkafka's in-process mock cluster speaks the real Kafka protocol; its murmur2_random
        // partitioner is the Java client's default for keyed records.
        var config = new ProducerConfig
        {
            BootstrapServers = "localhost:9092",
            Partitioner = Partitioner.Murmur2Random,
            LingerMs = 5,
        };
        config.Set("test.mock.num.brokers", "3");
        using var producer = new ProducerBuilder<string, string>(config).Build();
        const string topic = "routing-vectors";
        await producer.ProduceAsync(topic, new Message<string, string> { Key = "warm-up", Value = "v" });
        using var admin = new DependentAdminClientBuilder(producer.Handle).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count;
        Assert.True(partitions > 1, $"the mock topic has {partitions} partition(s): the test needs several");

        var random = new Random(42);
        var keys = Enumerable.Range(0, 10_000).Select(_ => Guid.NewGuid().ToString("N")[..(1 + random.Next(32))]).ToList();
        var deliveries = await Task.WhenAll(keys.Select(k => producer.ProduceAsync(topic, new Message<string, string> { Key = k, Value = "v" })));

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal(deliveries[i].Partition.Value, KafkaPartitioner.Partition(keys[i], partitions));
        }
    }
}
