using StreamFunctions.Aws;
using StreamFunctions.KinesisApi;
using StreamFunctions.Producers;

namespace StreamFunctions.Gateway;

/// <summary>
/// Builds the Gateway function (<see cref="GatewayFunction"/>) from its environment: the one composition root of the
/// deployed function (<c>functions/Gateway</c>, with AWS's clients) and of <c>sfn run</c> (with the embedded stream).
/// Configuration (environment):
/// <list type="bullet">
/// <item><c>DESTINATION</c>: <c>kinesis</c> (default) with <c>STREAM_NAME</c>, <c>KINESIS_AGGREGATE</c> (<c>true</c>/<c>false</c>)
/// and <c>ORDERING</c> (<c>per-key</c>, default, or <c>none</c>); or <c>kafka</c> with <c>KAFKA_BOOTSTRAP_SERVERS</c>, <c>KAFKA_TOPIC</c>,
/// <c>KAFKA_COMPRESSION</c> (<c>lz4</c>, default, or <c>zstd</c>, …) and <c>KAFKA_PROPERTIES</c> (<c>name=value;…</c>, e.g. SASL).</item>
/// <item><c>IDEMPOTENCY_TABLE</c> (optional) and <c>IDEMPOTENCY_WINDOW_MINUTES</c> (1–10080, default 60).</item>
/// <item><c>GATEWAY_AUTH</c>: <c>iam</c> (default), <c>jwt</c> (with <c>GATEWAY_JWT_SCOPES</c>) or <c>apikey</c> (with <c>GATEWAY_API_KEY_SHA256</c>).</item>
/// </list>
/// Every setting is read before any client is made, so a bad one fails the init with its own message.
/// </summary>
public static class GatewayComposition
{
    /// <summary>Builds the function.</summary>
    /// <param name="environment">Its settings.</param>
    /// <param name="services">Its stream and idempotency store.</param>
    /// <returns>The function.</returns>
    /// <exception cref="Aws.Exceptions.AwsConfigurationException">A setting is unusable; the message names it.</exception>
    public static GatewayFunction Create(IEnvironmentVariables environment, GatewayServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = new SettingsReader(environment);
        var kafka = settings.OneOf("DESTINATION", false, ("kinesis", false), ("kafka", true));
        var auth = settings.OneOf("GATEWAY_AUTH", GatewayAuthMode.Iam, ("iam", GatewayAuthMode.Iam), ("jwt", GatewayAuthMode.Jwt), ("apikey", GatewayAuthMode.ApiKey));
        var keys = settings.Sha256Digests("GATEWAY_API_KEY_SHA256");
        if (auth == GatewayAuthMode.ApiKey && keys.Count == 0)
        {
            throw settings.Invalid("GATEWAY_API_KEY_SHA256", "with GATEWAY_AUTH=apikey, the SHA-256 digests (64 hex digits each, comma-separated) of the accepted keys");
        }

        var authorizer = new GatewayAuthorizer(auth, keys, settings.List("GATEWAY_JWT_SCOPES").SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        var table = settings.Text("IDEMPOTENCY_TABLE");
        var window = settings.Duration("IDEMPOTENCY_WINDOW_MINUTES", DurationUnit.Minutes, 60, 1, 10_080);
        var stream = kafka ? null : settings.Required("STREAM_NAME", "the name of the Kinesis stream records are written to");
        var kinesisOptions = new KinesisProducerOptions
        {
            Aggregate = ProducerSettings.KinesisAggregate(settings),
            Ordering = settings.OneOf("ORDERING", ProducerOrdering.PerPartitionKey, ("per-key", ProducerOrdering.PerPartitionKey), ("none", ProducerOrdering.None)),
        };
        var kafkaOptions = kafka ? ProducerSettings.Kafka(settings) : null;
        var topic = kafka ? settings.Required("KAFKA_TOPIC", "the Kafka topic records are written to") : null;

        services.Require([.. kafka ? [] : new[] { AwsService.Kinesis }, .. table is null ? [] : new[] { AwsService.DynamoDB }]);
        IRecordProducer producer = kafkaOptions is not null
            ? new KafkaRecordProducer(kafkaOptions, topic!, services.Time)
            : new KinesisRecordProducer(services.Kinesis(), stream!, kinesisOptions, services.Time);
        var store = table is null ? null : services.IdempotencyStore(table, window);
        return new GatewayFunction(new GatewayService(producer, authorizer, store));
    }
}

/// <summary>What the Gateway function stands on (see <see cref="FunctionServices"/>).</summary>
public abstract class GatewayServices : FunctionServices
{
    /// <summary>The Kinesis API records are written through (with <c>DESTINATION=kinesis</c>).</summary>
    /// <returns>The API.</returns>
    public abstract IKinesisApi Kinesis();

    /// <summary>The idempotency store (with <c>IDEMPOTENCY_TABLE</c>).</summary>
    /// <param name="table">The table's name.</param>
    /// <param name="window">How long a key is remembered.</param>
    /// <returns>The store.</returns>
    public abstract IIdempotencyStore IdempotencyStore(string table, TimeSpan window);
}
