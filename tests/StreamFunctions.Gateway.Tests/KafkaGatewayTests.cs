using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Producers;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kafka;

namespace StreamFunctions.Gateway.Tests;

/// <summary>
/// Kafka through librdkafka's in-process mock cluster (the real protocol): the producer and the Gateway
/// function (its bootstrap under the Runtime API) write, a consumer group reads back.
/// </summary>
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class KafkaGatewayTests : IDisposable
{
    private readonly MockKafkaCluster _cluster = new();

    private string Bootstrap => _cluster.BootstrapServers;

    public void Dispose() => _cluster.Dispose();

    [Fact]
    public async Task KafkaRecordProducer_IdempotentZstd_EveryRecordOnceInKeyOrder()
    {
        var topic = "produce-" + Guid.NewGuid().ToString("N")[..8];
        using var producer = new KafkaRecordProducer(new KafkaProducerOptions { BootstrapServers = Bootstrap, Compression = "zstd" }, topic);
        var records = Enumerable.Range(0, 2_000).Select(n => new ProducerRecord(Encoding.UTF8.GetBytes($$"""{"key":{{n % 13}},"n":{{n}}}"""), "key-" + (n % 13))).ToList();

        var results = await producer.ProduceAsync(records, TimeProvider.System.GetUtcNow().AddSeconds(30));

        Assert.All(results, r => Assert.True(r.Succeeded, r.ErrorMessage));
        Assert.All(results.GroupBy(r => r.Partition), p => Assert.Equal(p.Count(), p.Select(r => r.Offset).Distinct().Count()));
        AssertOnceInKeyOrder(Consume(topic, records.Count), records.Count);
    }

    [Fact]
    public async Task KafkaRecordProducer_KeysLandOnTheJavaDefaultPartition()
    {
        var topic = "partition-" + Guid.NewGuid().ToString("N")[..8];
        using var producer = new KafkaRecordProducer(new KafkaProducerOptions { BootstrapServers = Bootstrap }, topic);
        var records = Enumerable.Range(0, 200).Select(n => new ProducerRecord(new byte[] { 1 }, "user-" + n)).ToList();

        var results = await producer.ProduceAsync(records, TimeProvider.System.GetUtcNow().AddSeconds(30));

        var partitions = _cluster.Partitions(topic);
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(Producers.Placement.KafkaPartitioner.Partition(Encoding.UTF8.GetBytes(records[i].PartitionKey), partitions), results[i].Partition);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GatewayFunction_KafkaDestination_WritesEveryRecordOnceInKeyOrder(bool brokerFaults)
    {
        var topic = "gateway-" + Guid.NewGuid().ToString("N")[..8];
        var environment = new Dictionary<string, string>
        {
            ["DESTINATION"] = "kafka",
            ["KAFKA_BOOTSTRAP_SERVERS"] = Bootstrap,
            ["KAFKA_TOPIC"] = topic,
            ["KAFKA_COMPRESSION"] = "lz4",
        };
        await using var function = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Gateway"), new LocalFunctionOptions { FunctionName = "Gateway", Timeout = TimeSpan.FromSeconds(60), Environment = environment });
        var sent = 0;
        for (var r = 0; r < 3; r++)
        {
            if (brokerFaults)
            {
                // The next produce requests fail with errors an idempotent producer retries: leader moved, too few replicas, timeout.
                _cluster.FailNextProduceRequests(ErrorCode.NotLeaderForPartition, ErrorCode.NotEnoughReplicas, ErrorCode.RequestTimedOut, ErrorCode.NotLeaderForPartition, ErrorCode.NotEnoughReplicas);
            }

            var body = new StringBuilder("{\"records\":[");
            for (var i = 0; i < 400; i++, sent++)
            {
                body.Append(i == 0 ? string.Empty : ",").Append($$$"""{"partitionKey":"key-{{{sent % 13}}}","data":{"key":{{{sent % 13}}},"n":{{{sent}}}}}""");
            }

            var result = await function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(GatewayFunctionTests.Request(body.Append("]}").ToString()), LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest));
            Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
            var response = JsonSerializer.Deserialize(result.Payload.Span, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse)!;
            Assert.Equal(200, response.StatusCode);
            using var answer = JsonDocument.Parse(response.Body!);
            Assert.Equal(0, answer.RootElement.GetProperty("failedRecordCount").GetInt32());
            Assert.True(answer.RootElement.GetProperty("records")[0].TryGetProperty("offset", out _));
        }

        AssertOnceInKeyOrder(Consume(topic, sent), sent);
    }

    private static void AssertOnceInKeyOrder(List<(int Key, int N)> consumed, int expected)
    {
        Assert.Equal(Enumerable.Range(0, expected), consumed.Select(c => c.N).Order());
        foreach (var key in consumed.GroupBy(c => c.Key))
        {
            var order = key.Select(c => c.N).ToList();
            Assert.Equal(order.Order(), order);
        }
    }

    private List<(int Key, int N)> Consume(string topic, int expected) => [.. _cluster.ConsumeAll(topic, expected).Select(m =>
    {
        using var json = JsonDocument.Parse(m.Message.Value);
        return (json.RootElement.GetProperty("key").GetInt32(), json.RootElement.GetProperty("n").GetInt32());
    })];
}
