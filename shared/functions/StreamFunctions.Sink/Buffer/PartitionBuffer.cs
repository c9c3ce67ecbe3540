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
