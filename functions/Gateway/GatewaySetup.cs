using System.Globalization;
using StreamFunctions.Aws;
using StreamFunctions.Gateway;
using StreamFunctions.Kinesis;
using StreamFunctions.Producers;

namespace StreamFunctions.Functions.Gateway;

/// <summary>
/// Builds the Gateway function (<see cref="GatewayFunction"/>) from its environment. Configuration (environment):
/// <list type="bullet">
/// <item><c>DESTINATION</c>: <c>kinesis</c> (default) with <c>STREAM_NAME</c>, <c>KINESIS_AGGREGATE</c> (<c>true</c>/<c>false</c>)
/// and <c>ORDERING</c> (<c>per-key</c>, default, or <c>none</c>); or <c>kafka</c> with <c>KAFKA_BOOTSTRAP_SERVERS</c>, <c>KAFKA_TOPIC</c>,
/// <c>KAFKA_COMPRESSION</c> (<c>lz4</c>, default, or <c>zstd</c>, …) and <c>KAFKA_PROPERTIES</c> (<c>name=value;…</c>, e.g. SASL).</item>
/// <item><c>IDEMPOTENCY_TABLE</c> (optional) and <c>IDEMPOTENCY_WINDOW_MINUTES</c> (default 60).</item>
/// <item><c>GATEWAY_AUTH</c>: <c>iam</c> (default), <c>jwt</c> (with <c>GATEWAY_JWT_SCOPES</c>) or <c>apikey</c> (with <c>GATEWAY_API_KEY_SHA256</c>).</item>
/// </list>
/// </summary>
internal static class GatewaySetup
{
    public static GatewayFunction FromEnvironment(IEnvironmentVariables environment)
    {
        string? Get(string name) => environment.Setting(name);
        string Required(string name) => Get(name) ?? throw new ArgumentException($"{name} must be set.");
        var settings = AwsSettings.FromEnvironment(environment);
        IRecordProducer producer = (Get("DESTINATION") ?? "kinesis").ToLowerInvariant() switch
        {
            "kinesis" => new KinesisRecordProducer(KinesisClient.Create(settings), Required("STREAM_NAME"), new KinesisProducerOptions
            {
                Aggregate = bool.TryParse(Get("KINESIS_AGGREGATE"), out var aggregate) && aggregate,
                Ordering = (Get("ORDERING") ?? "per-key").ToLowerInvariant() switch
                {
                    "per-key" => ProducerOrdering.PerPartitionKey,
                    "none" => ProducerOrdering.None,
                    var other => throw new ArgumentException($"ORDERING '{other}' is not per-key or none."),
                },
            }),
            "kafka" => new KafkaRecordProducer(
                new KafkaProducerOptions
                {
                    BootstrapServers = Required("KAFKA_BOOTSTRAP_SERVERS"),
                    Compression = Get("KAFKA_COMPRESSION") ?? "lz4",
                    Properties = KafkaProducerOptions.ParseProperties(Get("KAFKA_PROPERTIES")),
                },
                Required("KAFKA_TOPIC")),
            var other => throw new ArgumentException($"DESTINATION '{other}' is not kinesis or kafka."),
        };
        var store = Get("IDEMPOTENCY_TABLE") is { } table
            ? new DynamoDbIdempotencyStore(
                new AwsClientFactory(settings).CreateDynamoDBClient(),
                table,
                TimeSpan.FromMinutes(int.Parse(Get("IDEMPOTENCY_WINDOW_MINUTES") ?? "60", CultureInfo.InvariantCulture)))
            : null;
        var authorizer = GatewayAuthorizer.Parse(Get("GATEWAY_AUTH"), Get("GATEWAY_API_KEY_SHA256"), Get("GATEWAY_JWT_SCOPES"));
        return new GatewayFunction(new GatewayService(producer, authorizer, store));
    }
}
