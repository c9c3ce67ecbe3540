using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Gateway;
using StreamFunctions.Producers;

namespace StreamFunctions.Functions.Gateway;

/// <summary>
/// Builds the Gateway function (<see cref="GatewayFunction"/>) from its environment. Configuration (environment):
/// <list type="bullet">
/// <item><c>DESTINATION</c>: <c>kinesis</c> (default) with <c>STREAM_NAME</c>, <c>KINESIS_AGGREGATE</c> (<c>true</c>/<c>false</c>)
/// and <c>ORDERING</c> (<c>per-key</c>, default, or <c>none</c>); or <c>kafka</c> with <c>KAFKA_BOOTSTRAP_SERVERS</c>, <c>KAFKA_TOPIC</c>,
/// <c>KAFKA_COMPRESSION</c> (<c>lz4</c>, default, or <c>zstd</c>, …) and <c>KAFKA_PROPERTIES</c> (<c>name=value;…</c>, e.g. SASL).</item>
/// <item><c>IDEMPOTENCY_TABLE</c> (optional) and <c>IDEMPOTENCY_WINDOW_MINUTES</c> (1–10080, default 60).</item>
/// <item><c>GATEWAY_AUTH</c>: <c>iam</c> (default), <c>jwt</c> (with <c>GATEWAY_JWT_SCOPES</c>) or <c>apikey</c> (with <c>GATEWAY_API_KEY_SHA256</c>).</item>
/// </list>
/// Every setting is read before any client is made, so a bad one fails the init with its own message.
/// </summary>
internal static class GatewaySetup
{
    public static GatewayFunction FromEnvironment(IEnvironmentVariables environment)
    {
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
            Aggregate = settings.Flag("KINESIS_AGGREGATE", false),
            Ordering = settings.OneOf("ORDERING", ProducerOrdering.PerPartitionKey, ("per-key", ProducerOrdering.PerPartitionKey), ("none", ProducerOrdering.None)),
        };
        var kafkaOptions = kafka ? KafkaProducerSettings.Read(settings) : null;
        var topic = kafka ? settings.Required("KAFKA_TOPIC", "the Kafka topic records are written to") : null;

        var aws = AwsSettings.FromEnvironment(environment);
        aws.RequireCredentials([.. kafka ? [] : new[] { AwsService.Kinesis }, .. table is null ? [] : new[] { AwsService.DynamoDB }]);
        IRecordProducer producer = kafkaOptions is not null
            ? new KafkaRecordProducer(kafkaOptions, topic!)
            : new KinesisRecordProducer(KinesisClient.Create(aws), stream!, kinesisOptions);
        var store = table is null ? null : new DynamoDbIdempotencyStore(new AwsClientFactory(aws).CreateDynamoDBClient(), table, window);
        return new GatewayFunction(new GatewayService(producer, authorizer, store));
    }
}
