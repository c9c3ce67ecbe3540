using System.Collections.Concurrent;
using Confluent.Kafka;
using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.FailureHandler;
using StreamFunctions.Producers;
using StreamFunctions.Router;

namespace StreamFunctions.Functions.Router;

/// <summary>Builds the router function (<see cref="RouterFunction"/>) from its environment (see <c>functions/README.md</c>).</summary>
internal static class RouterSetup
{
    public static RouterFunction FromEnvironment(IEnvironmentVariables environment)
    {
        var settings = new SettingsReader(environment);
        const string Expected = "routing rules as JSON (routes, mode, unmatched: see rules.example.json)";
        var rules = settings.Parsed("ROUTER_RULES", "ROUTER_RULES_FILE", RoutingRules.Parse, Expected)
            ?? settings.Parsed("BRIDGE_TO", text => RoutingRules.Bridge(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)), "comma-separated destinations, kinesis:<stream> or kafka:<topic>")
            ?? throw settings.Invalid("ROUTER_RULES", Expected + "; or set ROUTER_RULES_FILE, or BRIDGE_TO (destinations every record is copied to)");
        var aggregate = ProducerSettings.KinesisAggregate(settings);
        var kafkaOptions = rules.Destinations.Any(d => d.StartsWith("kafka:", StringComparison.Ordinal)) ? ProducerSettings.Kafka(settings) : null;
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

}
