namespace StreamFunctions.Formats.Compression;

/// <summary>How an object's bytes are compressed; the values Firehose offers for S3 delivery, plus ZSTD.</summary>
public enum CompressionCodec
{
    /// <summary>Not compressed (Firehose's UNCOMPRESSED, its default).</summary>
    None,

    /// <summary>GZIP (RFC 1952), levels 0–9.</summary>
    Gzip,

    /// <summary>Zstandard frames with a content checksum, levels 1–22.</summary>
    Zstd,

    /// <summary>
    /// The Snappy framing format (stream identifier, CRC-32C-checked chunks), Firehose's SNAPPY: what
    /// <c>snzip</c>, python-snappy's stream API and Spark's <c>snappy</c> text codec (Hadoop 3.3.1+) read.
    /// </summary>
    Snappy,

    /// <summary>
    /// Hadoop's block framing of raw Snappy (Firehose's HADOOP_SNAPPY): blocks of a 4-byte big-endian
    /// uncompressed length followed by chunks of a 4-byte big-endian compressed length and raw Snappy
    /// bytes, as <c>org.apache.hadoop.io.compress.SnappyCodec</c> writes and Hive, Spark and Athena read.
    /// </summary>
    HadoopSnappy,
}
