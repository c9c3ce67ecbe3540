using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Formats.Compression;

/// <summary>Which codec compresses an object, and how hard.</summary>
public sealed class CompressionOptions
{
    /// <summary>Hadoop's default <c>io.compression.codec.snappy.buffersize</c>.</summary>
    public const int DefaultHadoopSnappyBufferSize = 256 * 1024;

    /// <summary>The codec.</summary>
    /// <value>The default is <see cref="CompressionCodec.None"/>, as Firehose's default is UNCOMPRESSED.</value>
    public CompressionCodec Codec { get; init; } = CompressionCodec.None;

    /// <summary>
    /// The compression level, or <see langword="null"/> for the codec's default: GZIP 0–9 (default 6,
    /// gzip's own), ZSTD 1–22 (default 3, zstd's own). Snappy has no levels and none must be given.
    /// </summary>
    public int? Level { get; init; }

    /// <summary>
    /// For <see cref="CompressionCodec.HadoopSnappy"/>: Hadoop's codec buffer size. A block holds at most
    /// this minus <c>size / 6 + 32</c> bytes of input, so that Hadoop's decompressor, whose buffer has this
    /// size, can read it.
    /// </summary>
    /// <value>The default is 262,144 (256 KiB), Hadoop's; allowed 4,096–67,108,864.</value>
    public int HadoopSnappyBufferSize { get; init; } = DefaultHadoopSnappyBufferSize;

    /// <summary>The level the codec uses: <see cref="Level"/> or the codec's default (0 for codecs without levels).</summary>
    public int EffectiveLevel => Level ?? Codec switch
    {
        CompressionCodec.Gzip => 6,
        CompressionCodec.Zstd => 3,
        _ => 0,
    };

    /// <summary>The usual file extension of the codec's output: <c>.gz</c>, <c>.zst</c>, <c>.snappy</c> or none.</summary>
    public string FileExtension => Codec switch
    {
        CompressionCodec.Gzip => ".gz",
        CompressionCodec.Zstd => ".zst",
        CompressionCodec.Snappy or CompressionCodec.HadoopSnappy => ".snappy",
        _ => string.Empty,
    };

    /// <summary>Reads a codec's name as Firehose spells it (case-insensitive): none (or uncompressed), gzip, zstd, snappy, hadoop-snappy.</summary>
    /// <param name="name">The name; null is none.</param>
    /// <param name="setting">The setting's name, for the error.</param>
    /// <returns>The codec.</returns>
    /// <exception cref="ArgumentException">Not a codec's name.</exception>
    public static CompressionCodec ParseCodec(string? name, string setting) => name?.Trim().ToUpperInvariant() switch
    {
        null or "" or "NONE" or "UNCOMPRESSED" => CompressionCodec.None,
        "GZIP" => CompressionCodec.Gzip,
        "ZSTD" => CompressionCodec.Zstd,
        "SNAPPY" => CompressionCodec.Snappy,
        "HADOOP-SNAPPY" or "HADOOP_SNAPPY" => CompressionCodec.HadoopSnappy,
        _ => throw new ArgumentException($"{setting} is none, gzip, zstd, snappy or hadoop-snappy, not '{name}'."),
    };

    /// <summary>Checks every option.</summary>
    /// <exception cref="StorageOptionsException">An option is out of range; the message names it.</exception>
    public CompressionOptions Validate()
    {
        const string level = $"{nameof(CompressionOptions)}.{nameof(Level)}";
        switch (Codec)
        {
            case CompressionCodec.Gzip when Level is < 0 or > 9:
                throw new StorageOptionsException(level, $"{Level} is outside GZIP's 0–9.");
            case CompressionCodec.Zstd when Level is < 1 or > 22:
                throw new StorageOptionsException(level, $"{Level} is outside ZSTD's 1–22.");
            case CompressionCodec.None or CompressionCodec.Snappy or CompressionCodec.HadoopSnappy when Level is not null:
                throw new StorageOptionsException(level, $"{Codec} has no compression levels; leave it unset.");
            case < CompressionCodec.None or > CompressionCodec.HadoopSnappy:
                throw new StorageOptionsException($"{nameof(CompressionOptions)}.{nameof(Codec)}", $"{(int)Codec} is not a codec.");
        }

        if (HadoopSnappyBufferSize is < 4096 or > 64 * 1024 * 1024)
        {
            throw new StorageOptionsException($"{nameof(CompressionOptions)}.{nameof(HadoopSnappyBufferSize)}", $"{HadoopSnappyBufferSize} is outside the allowed 4096–67108864 bytes.");
        }

        return this;
    }
}
