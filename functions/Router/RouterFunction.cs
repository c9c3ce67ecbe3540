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
        var settings = new SettingsReader(environment);
        const string Expected = "routing rules as JSON (routes, mode, unmatched: see rules.example.json)";
        var rules = settings.Parsed("ROUTER_RULES", "ROUTER_RULES_FILE", RoutingRules.Parse, Expected)
            ?? settings.Parsed("BRIDGE_TO", text => RoutingRules.Bridge(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)), "comma-separated destinations, kinesis:<stream> or kafka:<topic>")
            ?? throw settings.Invalid("ROUTER_RULES", Expected + "; or set ROUTER_RULES_FILE, or BRIDGE_TO (destinations every record is copied to)");
        var aggregate = settings.Flag("KINESIS_AGGREGATE", false);
        var kafkaOptions = rules.Destinations.Any(d => d.StartsWith("kafka:", StringComparison.Ordinal)) ? KafkaProducerSettings.Read(settings) : null;
        var bucket = settings.Text("DLQ_BUCKET");
        var prefix = settings.Text("DLQ_PREFIX", "dlq");

        var aws = AwsSettings.FromEnvironment(environment);
        aws.RequireCredentials([.. kafkaOptions is null || rules.Destinations.Any(d => d.StartsWith("kinesis:", StringComparison.Ordinal)) ? new[] { AwsService.Kinesis } : [], .. bucket is null ? [] : new[] { AwsService.S3 }]);
        var kinesis = new Lazy<KinesisClient>(() => KinesisClient.Create(aws));
        var kafka = new Lazy<IProducer<byte[], byte[]>>(() => new ProducerBuilder<byte[], byte[]>(kafkaOptions!.ToConfig()).Build());

        // One producer per destination for the life of the process (the Kafka ones share one librdkafka client).
        var producers = new ConcurrentDictionary<string, IRecordProducer>(StringComparer.Ordinal);
        IRecordProducer ProducerFor(string destination) => producers.GetOrAdd(destination, d =>
        {
            var name = d[(d.IndexOf(':', StringComparison.Ordinal) + 1)..];
            return d.StartsWith("kinesis:", StringComparison.Ordinal)
                ? new KinesisRecordProducer(kinesis.Value, name, new KinesisProducerOptions { Aggregate = aggregate })
                : new KafkaRecordProducer(kafka.Value, name);
        });

        var archive = bucket is null ? null : new S3PoisonRecordArchive(new AwsClientFactory(aws).CreateS3Client(), bucket, prefix);
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
