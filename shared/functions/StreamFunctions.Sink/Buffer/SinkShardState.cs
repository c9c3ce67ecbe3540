using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamFunctions.Sink.Buffer;

/// <summary>
/// The durable state of one source shard (a Kinesis shard or a Kafka topic-partition): the last source
/// position whose records are durable, the staged chunk objects, and the open partitions. Kept by an
/// <see cref="ISinkStateStore"/> (one DynamoDB item in AWS), written conditionally on <see cref="Version"/>,
/// so each write is atomic and a stale writer loses.
/// </summary>
public sealed class SinkShardState
{
    /// <summary>The item key: <c>stream/shard</c>.</summary>
    [JsonPropertyName("k")]
    public string Key { get; set; } = string.Empty;

    /// <summary>The stream or topic.</summary>
    [JsonPropertyName("s")]
    public string Stream { get; set; } = string.Empty;

    /// <summary>The shard id or partition number.</summary>
    [JsonPropertyName("h")]
    public string Shard { get; set; } = string.Empty;

    /// <summary>The version this state was read at (0: never written). Not serialized: it is the item's own attribute.</summary>
    [JsonIgnore]
    public long Version { get; set; }

    /// <summary>The last source sequence number (or offset) whose records are durable; redelivered records up to it are skipped.</summary>
    [JsonPropertyName("l")]
    public string? LastSequence { get; set; }

    /// <summary>The next chunk id.</summary>
    [JsonPropertyName("n")]
    public int NextChunk { get; set; }

    /// <summary>Staged chunk objects still referenced by a partition: id → object key.</summary>
    [JsonPropertyName("c")]
    public Dictionary<int, string> Chunks { get; set; } = [];

    /// <summary>The open partitions.</summary>
    [JsonPropertyName("p")]
    public List<PartitionBuffer> Partitions { get; set; } = [];
}

/// <summary>A part of the partition's multipart upload.</summary>
/// <param name="Number">The part number.</param>
/// <param name="ETag">Its ETag.</param>
/// <param name="Length">Its size.</param>
public sealed record UploadedPart(
    [property: JsonPropertyName("n")] int Number,
    [property: JsonPropertyName("e")] string ETag,
    [property: JsonPropertyName("b")] long Length);

[JsonSerializable(typeof(SinkShardState))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class SinkStateJsonContext : JsonSerializerContext
{
    // The serialized size of a state (what both stores hold).
    internal static int SizeOf(SinkShardState state) => JsonSerializer.SerializeToUtf8Bytes(state, Default.SinkShardState).Length;
}
