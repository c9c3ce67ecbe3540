using System.IO.Compression;
using Snappier;
using StreamFunctions.Formats.Compression.Internal;
using ZstdSharp;

namespace StreamFunctions.Formats.Compression;

/// <summary>
/// Streaming compressors and decompressors for <see cref="CompressionCodec"/>. A compressor is a
/// write-only stream over the destination; disposing it writes the codec's end (GZIP trailer, ZSTD
/// epilogue, the last Snappy chunk or Hadoop block). Output is a function of the bytes written and the
/// options only, so the same input gives the same object.
/// </summary>
public static class CompressionStreams
{
    /// <summary>A stream that compresses what is written to it into <paramref name="destination"/>.</summary>
    /// <param name="destination">Where the compressed bytes go.</param>
    /// <param name="options">The codec and level; validated.</param>
    /// <param name="leaveOpen">Leave <paramref name="destination"/> open when the compressor is disposed.</param>
    /// <exception cref="Records.Exceptions.StorageOptionsException">An option is out of range.</exception>
    public static Stream CreateCompressor(Stream destination, CompressionOptions options, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Codec == CompressionCodec.None)
        {
            return leaveOpen ? new NonClosingStream(destination) : destination;
        }

        Stream codec;
        switch (options.Codec)
        {
            case CompressionCodec.Gzip:
                codec = new GZipStream(destination, new ZLibCompressionOptions { CompressionLevel = options.EffectiveLevel }, leaveOpen);
                break;
            case CompressionCodec.Zstd:
                var zstd = new CompressionStream(destination, options.EffectiveLevel, leaveOpen: leaveOpen);
                // A content checksum, as the zstd command writes by default: corruption is found on reading.
                zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
                codec = zstd;
                break;
            case CompressionCodec.Snappy:
                codec = new SnappyStream(destination, CompressionMode.Compress, leaveOpen);
                break;
            default:
                codec = new HadoopSnappyCompressionStream(destination, options.HadoopSnappyBufferSize, leaveOpen);
                break;
        }

        return new FixedBlockWriteStream(codec, destination, gzip: options.Codec == CompressionCodec.Gzip);
    }

    /// <summary>
    /// A stream that reads <paramref name="source"/> decompressed. Corrupt or truncated input raises
    /// <see cref="Exceptions.CompressedDataException"/> naming the codec, never a silently short read.
    /// </summary>
    /// <param name="source">The compressed bytes.</param>
    /// <param name="codec">Their codec.</param>
    /// <param name="leaveOpen">Leave <paramref name="source"/> open when the decompressor is disposed.</param>
    public static Stream CreateDecompressor(Stream source, CompressionCodec codec, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        return codec switch
        {
            CompressionCodec.None => leaveOpen ? new NonClosingStream(source) : source,
            CompressionCodec.Gzip => Gzip(source, leaveOpen),
            CompressionCodec.Zstd => new CheckedDecompressionStream(new DecompressionStream(source, checkEndOfStream: true, leaveOpen: leaveOpen), codec),
            CompressionCodec.Snappy => new SnappyFramingDecompressionStream(source, leaveOpen),
            CompressionCodec.HadoopSnappy => new HadoopSnappyDecompressionStream(source, leaveOpen),
            _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Not a codec."),
        };
    }

    private static CheckedDecompressionStream Gzip(Stream source, bool leaveOpen)
    {
        var tracked = new TailTrackingStream(source, leaveOpen);
        return new CheckedDecompressionStream(new GZipStream(tracked, CompressionMode.Decompress), CompressionCodec.Gzip, tracked);
    }
}
