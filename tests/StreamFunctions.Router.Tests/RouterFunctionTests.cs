using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Confluent.Kafka;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Faults;
using StreamFunctions.Testing.Kafka;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Router.Tests;

/// <summary>
/// The Router function as Lambda runs it (its bootstrap under the Runtime API protocol), fed by the
/// event-source-mapping runner from the Kinesis emulator, writing to the Kinesis emulator behind a proxy
/// that fails 30% of the records twice each, and to librdkafka's mock Kafka cluster answering the first
/// produce requests with retriable broker errors; and the other way,
/// Kafka records bridged into Kinesis. Every record ends written exactly once per destination, in key order.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class RouterFunctionTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private const int Users = 20;
    private readonly KinesisClient _kinesis = KinesisClient.Create(aws.Settings);
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly MockKafkaCluster _kafka = new();
    private readonly string _source = LocalAwsFixture.UniqueName("sfn-router-src");
    private readonly string _destination = LocalAwsFixture.UniqueName("sfn-router-dst");
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-router-dlq");

    public async Task InitializeAsync()
    {
        await _s3.PutBucketAsync(_bucket);
        await _kinesis.CreateStreamAsync(new CreateStreamRequest(_source, 2));
        await _kinesis.CreateStreamAsync(new CreateStreamRequest(_destination, 3));
        await _kinesis.WaitActiveAsync(_source);
        await _kinesis.WaitActiveAsync(_destination);
    }

    public async Task DisposeAsync()
    {
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        foreach (var o in listed.S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
        await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(_source));
        await _kinesis.DeleteStreamAsync(new DeleteStreamRequest(_destination));
    }

    public void Dispose()
    {
        _kinesis.Dispose();
        _s3.Dispose();
        _kafka.Dispose();
    }

    [Trait(TestCategories.Suite, TestCategories.Faults)]
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Router_RulesToKinesisAndKafka_ThirtyPercentFailTwice_EveryRecordOnceInKeyOrderAndPoisonArchived(bool aggregate)
    {
        // 1,000 records of 20 users; a third are "eu"; every 97th eu record lacks the user field it is keyed by (poison).
        const int Count = 1_000;
        static bool Eu(int n) => n % 3 == 0;
        static bool Poison(int n) => Eu(n) && n % 97 == 0;
        var topic = MockKafkaCluster.UniqueTopic("router-all");
        var lastPerShard = new Dictionary<string, string>();
        for (var start = 0; start < Count; start += 500)
        {
            var put = await _kinesis.PutRecordsAsync(new PutRecordsRequest(_source, [.. Enumerable.Range(start, 500).Select(n => new PutRecordsRequestEntry(
                Encoding.UTF8.GetBytes(Poison(n) ? $$"""{"n":{{n}},"region":"eu"}""" : $$"""{"user":"u{{n % Users}}","n":{{n}},"region":"{{(Eu(n) ? "eu" : "us")}}"}"""),
                $"u{n % Users}"))]));
            Assert.Equal(0, put.FailedRecordCount);
            foreach (var entry in put.Records)
            {
                lastPerShard[entry.ShardId!] = entry.SequenceNumber!;
            }
        }

        var rules = $$"""
            {"routes":[
              {"name":"eu","match":{"$.region":["eu"]},"to":["kinesis:{{_destination}}"],"partitionKey":"$.user"},
              {"name":"everything","to":["kafka:{{topic}}"]}]}
            """;
        using var proxy = new KinesisFaultProxy(aws.Settings.GetEndpoint(Aws.AwsService.Kinesis)!, failFraction: 0.3, failuresPerRecord: 2, seed: aggregate ? 5 : 3);
        await using var function = Router(proxy, new() { ["ROUTER_RULES"] = rules, ["KINESIS_AGGREGATE"] = aggregate ? "true" : "false", ["DLQ_BUCKET"] = _bucket });
        var checkpoints = new InMemoryShardCheckpointStore();
        var mapping = new KinesisEventSourceMapping(_kinesis, function, new KinesisEventSourceOptions
        {
            StreamName = _source,
            BatchSize = 250,
            ReportBatchItemFailures = true,
            PollInterval = TimeSpan.Zero,
        }, checkpoints);

        // The Kafka side fails too: the first produce requests get errors the idempotent producer must retry.
        _kafka.FailNextProduceRequests(ErrorCode.NotLeaderForPartition, ErrorCode.NotEnoughReplicas, ErrorCode.RequestTimedOut, ErrorCode.NotLeaderForPartition, ErrorCode.NotEnoughReplicas, ErrorCode.RequestTimedOut);

        await mapping.DrainAsync();

        Assert.True(proxy.InjectedFailures >= (aggregate ? 2 : 50), $"only {proxy.InjectedFailures} failures were injected");
        var good = Enumerable.Range(0, Count).Where(n => !Poison(n)).ToList();

        var routed = await ReadKinesisAsync(_destination);
        Assert.Equal(good.Where(Eu), routed.Select(r => r.N).Order());
        Assert.All(routed, r => Assert.Equal($"u{r.N % Users}", r.PartitionKey));
        AssertKeyOrder(routed.Select(r => (r.PartitionKey, r.N)));

        var mirrored = _kafka.ConsumeAll(topic, good.Count).Select(m => (Key: Encoding.UTF8.GetString(m.Message.Key), N: N(m.Message.Value))).ToList();
        Assert.Equal(good, mirrored.Select(m => m.N).Order());
        AssertKeyOrder(mirrored);

        var archived = await ArchivedPayloadsAsync();
        Assert.Equal(Enumerable.Range(0, Count).Where(Poison), archived.Select(N).Order());

        // Each source shard's checkpoint is at its last record: nothing is left behind, nothing redelivered.
        foreach (var (shard, last) in lastPerShard)
        {
            Assert.Equal(last, (await checkpoints.GetAsync(shard))?.SequenceNumber);
        }
    }

    [Trait(TestCategories.Suite, TestCategories.Faults)]
    [Fact]
    public async Task Router_KafkaBridgedToKinesis_ThirtyPercentFailTwice_EveryRecordOnceKeyedByTheKafkaKeyInOrder()
    {
        const int Count = 600;
        var topic = MockKafkaCluster.UniqueTopic("bridge-src");
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _kafka.BootstrapServers, EnableIdempotence = true }).Build())
        {
            for (var n = 0; n < Count; n++)
            {
                producer.Produce(topic, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"k{n % 50}"), Value = Encoding.UTF8.GetBytes($$"""{"n":{{n}}}""") });
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        using var proxy = new KinesisFaultProxy(aws.Settings.GetEndpoint(Aws.AwsService.Kinesis)!, failFraction: 0.3, failuresPerRecord: 2, seed: 9);
        await using var function = Router(proxy, new() { ["BRIDGE_TO"] = $"kinesis:{_destination}" });

        // The batches an MSK event source mapping would deliver: the topic's records grouped by partition, 200 at a time.
        var consumed = _kafka.ConsumeAll(topic, Count);
        foreach (var chunk in consumed.Chunk(200))
        {
            var evnt = new KafkaEvent
            {
                EventSource = "aws:kafka",
                EventSourceArn = "arn:aws:kafka:us-east-1:123456789012:cluster/local/abc",
                BootstrapServers = _kafka.BootstrapServers,
                Records = chunk.GroupBy(m => m.Partition.Value).ToDictionary(
                    p => $"{topic}-{p.Key}",
                    p => (IList<KafkaEventRecord>)[.. p.Select(m => new KafkaEventRecord
                    {
                        Topic = topic,
                        Partition = m.Partition.Value,
                        Offset = m.Offset.Value,
                        Timestamp = m.Message.Timestamp.UnixTimestampMs,
                        TimestampType = "CREATE_TIME",
                        Key = m.Message.Key,
                        Value = m.Message.Value,
                        Headers = [],
                    })]),
            };

            var result = await function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KafkaEvent));

            Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
        }

        Assert.True(proxy.InjectedFailures >= 50, $"only {proxy.InjectedFailures} failures were injected");
        var bridged = await ReadKinesisAsync(_destination);
        Assert.Equal(Enumerable.Range(0, Count), bridged.Select(r => r.N).Order());
        Assert.All(bridged, r => Assert.Equal($"k{r.N % 50}", r.PartitionKey));
        AssertKeyOrder(bridged.Select(r => (r.PartitionKey, r.N)));
    }

    [Fact]
    public async Task Router_WithoutRules_FailsToStartSayingWhatToSet()
    {
        using var proxy = new KinesisFaultProxy(aws.Settings.GetEndpoint(Aws.AwsService.Kinesis)!, 0, 0, 0);
        await using var function = Router(proxy, []);

        var result = await function.InvokeAsync("""{"Records":[]}"""u8.ToArray());

        Assert.False(result.Succeeded);
        Assert.Contains("ROUTER_RULES", Encoding.UTF8.GetString(result.Payload.Span), StringComparison.Ordinal);
    }

    private ProcessLambdaInvoker Router(KinesisFaultProxy proxy, Dictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>(aws.Emulators?.Variables ?? new Dictionary<string, string>())
        {
            ["AWS_ENDPOINT_URL_KINESIS"] = proxy.Endpoint.ToString(),
            ["KAFKA_BOOTSTRAP_SERVERS"] = _kafka.BootstrapServers,
        };
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        return new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Router"), new LocalFunctionOptions { FunctionName = "Router", Timeout = TimeSpan.FromSeconds(60), Environment = environment });
    }

    private static int N(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("n").GetInt32();
    }

    private static void AssertKeyOrder(IEnumerable<(string Key, int N)> records)
    {
        foreach (var key in records.GroupBy(r => r.Key))
        {
            var order = key.Select(r => r.N).ToList();
            Assert.Equal(order.Order(), order);
        }
    }

    // Every user record in the stream, de-aggregated, in stream order per shard.
    private async Task<List<(string PartitionKey, int N)>> ReadKinesisAsync(string stream)
    {
        var found = new List<(string, int)>();
        foreach (var record in await StreamContents.ReadAllAsync(_kinesis, stream))
        {
            var users = new List<UserRecord>();
            KplDeaggregator.Deaggregate(record.Data, RecordKey.FromString(record.PartitionKey), users);
            found.AddRange(users.Select(u => (u.PartitionKey.ToString(), N(u.Data.ToArray()))));
        }

        return found;
    }

    private async Task<List<byte[]>> ArchivedPayloadsAsync()
    {
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "dlq/" });
        var payloads = new List<byte[]>();
        foreach (var o in listed.S3Objects ?? [])
        {
            using var response = await _s3.GetObjectAsync(_bucket, o.Key);
            using var reader = new StreamReader(response.ResponseStream);
            using var line = JsonDocument.Parse(await reader.ReadToEndAsync());
            payloads.Add(line.RootElement.GetProperty("payload").GetBytesFromBase64());
        }

        return payloads;
    }
}
