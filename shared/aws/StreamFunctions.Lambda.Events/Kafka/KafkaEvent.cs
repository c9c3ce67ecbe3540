using System.Text.Json.Serialization;
using StreamFunctions.Lambda.Events.Serialization;

namespace StreamFunctions.Lambda.Events.Kafka;

/// <summary>
/// The event of an Amazon MSK (<c>aws:kafka</c>) or self-managed Kafka (<c>SelfManagedKafka</c>)
/// event source mapping: records grouped by <c>topic-partition</c>.
/// </summary>
public sealed class KafkaEvent
{
    /// <summary><c>aws:kafka</c> or <c>SelfManagedKafka</c>.</summary>
    [JsonPropertyName("eventSource")]
    public string? EventSource { get; set; }

    /// <summary>The MSK cluster's ARN (absent for self-managed Kafka).</summary>
    [JsonPropertyName("eventSourceArn")]
    public string? EventSourceArn { get; set; }

    /// <summary>The brokers, comma-separated.</summary>
    [JsonPropertyName("bootstrapServers")]
    public string? BootstrapServers { get; set; }

    /// <summary>Records by <c>topic-partition</c>, each list in offset order.</summary>
    [JsonPropertyName("records")]
    public IDictionary<string, IList<KafkaEventRecord>> Records { get; set; } = new Dictionary<string, IList<KafkaEventRecord>>();
}

/// <summary>One Kafka record.</summary>
public sealed class KafkaEventRecord
{
    /// <summary>The topic.</summary>
    [JsonPropertyName("topic")]
    public string? Topic { get; set; }

    /// <summary>The partition.</summary>
    [JsonPropertyName("partition")]
    public int Partition { get; set; }

    /// <summary>The offset.</summary>
    [JsonPropertyName("offset")]
    public long Offset { get; set; }

    /// <summary>Epoch milliseconds.</summary>
    [JsonPropertyName("timestamp")]
    public long Timestamp { get; set; }

    /// <summary><c>CREATE_TIME</c> or <c>LOG_APPEND_TIME</c>.</summary>
    [JsonPropertyName("timestampType")]
    public string? TimestampType { get; set; }

    /// <summary>The key's bytes (base64 in JSON); null for a record without a key.</summary>
    [JsonPropertyName("key")]
    [JsonConverter(typeof(Base64DataConverter))]
    public byte[]? Key { get; set; }

    /// <summary>The value's bytes (base64 in JSON); null for a tombstone.</summary>
    [JsonPropertyName("value")]
    [JsonConverter(typeof(Base64DataConverter))]
    public byte[]? Value { get; set; }

    /// <summary>Headers, each a one-entry map from name to bytes written as an array of (signed, Java) byte values.</summary>
    [JsonPropertyName("headers")]
    public IList<IDictionary<string, sbyte[]>>? Headers { get; set; }

    /// <summary>A header's value as bytes.</summary>
    /// <param name="name">The header name.</param>
    /// <returns>The first value with that name, or null.</returns>
    public byte[]? GetHeader(string name)
    {
        foreach (var header in Headers ?? [])
        {
            if (header.TryGetValue(name, out var value))
            {
                return (byte[])(Array)value.Clone();
            }
        }

        return null;
    }
}
