using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamFunctions.Sink.Buffer;

/// <summary>What a buffered partition holds.</summary>
public enum PartitionKind
{
    /// <summary>Delivered records, in the configured format.</summary>
    Data,

    /// <summary>Records that failed parsing, partitioning or transformation (Firehose's error output, JSON lines).</summary>
    Error,

    /// <summary>The source records as received (Firehose's S3 backup).</summary>
    Backup,
}

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

/// <summary>One open partition of a shard: where its bytes are staged and the object they become.</summary>
public sealed class PartitionBuffer
{
    /// <summary>The rendered S3 prefix.</summary>
    [JsonPropertyName("x")]
    public string Prefix { get; set; } = string.Empty;

    /// <summary>Data, error output or source backup.</summary>
    [JsonPropertyName("t")]
    public PartitionKind Kind { get; set; }

    /// <summary>The first source sequence number in the partition.</summary>
    [JsonPropertyName("f")]
    public string FirstSequence { get; set; } = string.Empty;

    /// <summary>The last source sequence number in the partition.</summary>
    [JsonPropertyName("l")]
    public string LastSequence { get; set; } = string.Empty;

    /// <summary>When the partition was opened (Unix milliseconds): the buffering interval counts from here.</summary>
    [JsonPropertyName("o")]
    public long OpenedAtMs { get; set; }

    /// <summary>Records in the partition.</summary>
    [JsonPropertyName("r")]
    public long Records { get; set; }

    /// <summary>Uncompressed bytes of the records (what the size hint is measured in).</summary>
    [JsonPropertyName("b")]
    public long RawBytes { get; set; }

    /// <summary>Staged bytes not yet in an uploaded part.</summary>
    [JsonPropertyName("g")]
    public List<Segment> Segments { get; set; } = [];

    /// <summary>The staging object the multipart upload completes into, once parts are uploaded.</summary>
    [JsonPropertyName("u")]
    public string? UploadKey { get; set; }

    /// <summary>The open multipart upload, if any.</summary>
    [JsonPropertyName("i")]
    public string? UploadId { get; set; }

    /// <summary>Parts uploaded and recorded.</summary>
    [JsonPropertyName("q")]
    public List<UploadedPart> Parts { get; set; } = [];

    /// <summary>Sealed: the object's key and content are final; it is being written and takes no more records.</summary>
    [JsonPropertyName("z")]
    public bool Sealed { get; set; }

    /// <summary>CRC-32 of the partition's uncompressed bytes (the GZIP trailer's).</summary>
    [JsonPropertyName("y")]
    public uint ContentCrc { get; set; }

    /// <summary>Length of the partition's uncompressed bytes.</summary>
    [JsonPropertyName("w")]
    public long ContentLength { get; set; }

    /// <summary>Staged bytes not yet in a part.</summary>
    [JsonIgnore]
    public long SegmentBytes => Segments.Sum(s => (long)s.Length);
}

/// <summary>A range of a staged chunk object.</summary>
/// <param name="Chunk">The chunk id.</param>
/// <param name="Offset">The first byte.</param>
/// <param name="Length">The length.</param>
public sealed record Segment(
    [property: JsonPropertyName("c")] int Chunk,
    [property: JsonPropertyName("o")] long Offset,
    [property: JsonPropertyName("n")] int Length);

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
