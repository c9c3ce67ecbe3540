using StreamFunctions.Aws;

namespace StreamFunctions.Producers;

/// <summary>
/// The producer settings of every function that writes to a stream or topic (Gateway, Router, Aggregator), each read
/// in one place: <c>KAFKA_BOOTSTRAP_SERVERS</c> (required for Kafka), <c>KAFKA_COMPRESSION</c> (<c>lz4</c> by default,
/// <c>zstd</c>, <c>gzip</c>, <c>snappy</c> or <c>none</c>), <c>KAFKA_PROPERTIES</c> (librdkafka <c>name=value;…</c>, e.g. SASL;
/// never shown in messages), and <c>KINESIS_AGGREGATE</c> (<c>true</c> for KPL aggregation per shard; default <c>false</c>).
/// </summary>
public static class ProducerSettings
{
    /// <summary>The Kafka producer's options.</summary>
    /// <param name="settings">The function's settings.</param>
    /// <returns>The options.</returns>
    /// <exception cref="Aws.Exceptions.AwsConfigurationException">A setting is unset or unusable; the message names it.</exception>
    public static KafkaProducerOptions Kafka(SettingsReader settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new()
        {
            BootstrapServers = settings.Required("KAFKA_BOOTSTRAP_SERVERS", "the Kafka brokers, host:port[,host:port…]"),
            Compression = settings.OneOf("KAFKA_COMPRESSION", "lz4", "lz4", "zstd", "gzip", "snappy", "none"),
            Properties = settings.Pairs("KAFKA_PROPERTIES"),
        };
    }

    /// <summary>Whether Kinesis records are KPL-aggregated per shard (<c>KINESIS_AGGREGATE</c>, default <c>false</c>).</summary>
    /// <param name="settings">The function's settings.</param>
    /// <returns>The choice.</returns>
    /// <exception cref="Aws.Exceptions.AwsConfigurationException">Neither <c>true</c> nor <c>false</c>.</exception>
    public static bool KinesisAggregate(SettingsReader settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Flag("KINESIS_AGGREGATE", false);
    }
}
