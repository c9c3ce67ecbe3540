using System.Collections.Concurrent;
using System.Text.Json;
using Confluent.Kafka;
using StreamFunctions.Aws;
using StreamFunctions.Dlq;
using StreamFunctions.Kinesis;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Runtime;
using StreamFunctions.Producers;
using StreamFunctions.Router;
using StreamFunctions.Routing.Rules;

namespace StreamFunctions.Functions.Router;

/// <summary>
/// The router function, triggered by a Kinesis stream or a Kafka topic (MSK or self-managed). Configuration (environment):
/// <list type="bullet">
/// <item><c>ROUTER_RULES</c> (the rules as JSON), <c>ROUTER_RULES_FILE</c> (a file with them, relative to the function's folder),
/// or <c>BRIDGE_TO</c> (comma-separated destinations every record is copied to with its own key).</item>
/// <item>Kinesis destinations: <c>KINESIS_AGGREGATE</c> (<c>true</c> for KPL aggregation per shard).</item>
/// <item>Kafka destinations: <c>KAFKA_BOOTSTRAP_SERVERS</c>, <c>KAFKA_COMPRESSION</c>, <c>KAFKA_PROPERTIES</c> (<c>name=value;…</c>).</item>
/// <item>Poison records: <c>DLQ_BUCKET</c> and <c>DLQ_PREFIX</c> (default <c>dlq</c>); without them poison records fail.</item>
/// </list>
/// </summary>
internal sealed class RouterFunction(StreamRouter router)
{
    private static readonly TimeSpan MinimumMargin = TimeSpan.FromMilliseconds(500);

    public static RouterFunction FromEnvironment(IEnvironmentVariables environment)
    {
        string? Get(string name) => environment.Setting(name);
        var rules = environment.SettingOrFile("ROUTER_RULES", "ROUTER_RULES_FILE") is { } json ? RoutingRules.Parse(json)
            : Get("BRIDGE_TO") is { } bridge ? RoutingRules.Bridge(bridge.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            : throw new ArgumentException("Set ROUTER_RULES (JSON), ROUTER_RULES_FILE or BRIDGE_TO (destinations) to say where records go.");

        var settings = AwsSettings.FromEnvironment(environment);
        var aggregate = bool.TryParse(Get("KINESIS_AGGREGATE"), out var a) && a;
        var kinesis = new Lazy<KinesisClient>(() => KinesisClient.Create(settings));
        var kafka = new Lazy<IProducer<byte[], byte[]>>(() => new ProducerBuilder<byte[], byte[]>(new KafkaProducerOptions
        {
            BootstrapServers = Get("KAFKA_BOOTSTRAP_SERVERS") ?? throw new ArgumentException("The rules write to Kafka: set KAFKA_BOOTSTRAP_SERVERS."),
            Compression = Get("KAFKA_COMPRESSION") ?? "lz4",
            Properties = KafkaProducerOptions.ParseProperties(Get("KAFKA_PROPERTIES")),
        }.ToConfig()).Build());

        // One producer per destination for the life of the process (the Kafka ones share one librdkafka client).
        var producers = new ConcurrentDictionary<string, IRecordProducer>(StringComparer.Ordinal);
        IRecordProducer ProducerFor(string destination) => producers.GetOrAdd(destination, d =>
        {
            var name = d[(d.IndexOf(':', StringComparison.Ordinal) + 1)..];
            return d.StartsWith("kinesis:", StringComparison.Ordinal)
                ? new KinesisRecordProducer(kinesis.Value, name, new KinesisProducerOptions { Aggregate = aggregate })
                : new KafkaRecordProducer(kafka.Value, name);
        });

        var archive = Get("DLQ_BUCKET") is { } bucket
            ? new S3PoisonRecordArchive(new AwsClientFactory(settings).CreateS3Client(), bucket, Get("DLQ_PREFIX") ?? "dlq")
            : null;
        return new RouterFunction(new StreamRouter(rules, ProducerFor, archive));
    }

    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        var margin = TimeSpan.FromTicks(Math.Max(MinimumMargin.Ticks, context.RemainingTime.Ticks / 10));
        var deadline = context.Deadline - margin;
        RouterResult result;
        byte[] response;
        switch (LambdaEventSource.Of(payload))
        {
            case "aws:kinesis":
                result = await router.RouteAsync(LambdaEventJson.Deserialize(payload, LambdaEventsJsonContext.Default.KinesisEvent, "Kinesis"), deadline, cancellationToken).ConfigureAwait(false);
                response = JsonSerializer.SerializeToUtf8Bytes(result.Response, LambdaEventsJsonContext.Default.StreamsEventResponse);
                break;
            case "aws:kafka" or "SelfManagedKafka":
                try
                {
                    result = await router.RouteAsync(LambdaEventJson.Deserialize(payload, LambdaEventsJsonContext.Default.KafkaEvent, "Kafka"), deadline, cancellationToken).ConfigureAwait(false);
                }
                catch (RouterBatchFailedException e)
                {
                    Log(context, e.Result);
                    throw;
                }

                response = "{}"u8.ToArray();
                break;
            case var other:
                throw new ArgumentException($"Router is triggered by Kinesis or Kafka; this event's source is {LambdaEventSource.Describe(other)}.");
        }

        Log(context, result);
        return response;
    }

    private static void Log(ILambdaContext context, RouterResult result) => context.Logger.Info("routed",
        new KeyValuePair<string, object?>("records", result.SourceRecords),
        new KeyValuePair<string, object?>("userRecords", result.UserRecords),
        new KeyValuePair<string, object?>("written", result.Written),
        new KeyValuePair<string, object?>("unmatched", result.Unmatched),
        new KeyValuePair<string, object?>("archived", result.Archived),
        new KeyValuePair<string, object?>("failed", result.Failed),
        new KeyValuePair<string, object?>("skipped", result.Skipped),
        new KeyValuePair<string, object?>("firstError", result.FirstError));
}
