using StreamFunctions.Aws;
using StreamFunctions.Producers;

namespace StreamFunctions.Functions;

/// <summary>
/// The Kafka producer settings of every function that writes to Kafka (Gateway, Router, Aggregator), read one way:
/// <c>KAFKA_BOOTSTRAP_SERVERS</c> (required), <c>KAFKA_COMPRESSION</c> (<c>lz4</c> by default, <c>zstd</c>, <c>gzip</c>,
/// <c>snappy</c> or <c>none</c>) and <c>KAFKA_PROPERTIES</c> (librdkafka <c>name=value;…</c>, e.g. SASL; never shown in messages).
/// Compiled into each of those function projects.
/// </summary>
internal static class KafkaProducerSettings
{
    public static KafkaProducerOptions Read(SettingsReader settings) => new()
    {
        BootstrapServers = settings.Required("KAFKA_BOOTSTRAP_SERVERS", "the Kafka brokers, host:port[,host:port…]"),
        Compression = settings.OneOf("KAFKA_COMPRESSION", "lz4", "lz4", "zstd", "gzip", "snappy", "none"),
        Properties = settings.Pairs("KAFKA_PROPERTIES"),
    };
}
