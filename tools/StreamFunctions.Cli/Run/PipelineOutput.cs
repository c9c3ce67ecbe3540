using System.Runtime.CompilerServices;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Formats.Compression;

namespace StreamFunctions.Cli.Run;

/// <summary>Reads archived JSON-lines objects (what a run or the sink wrote): their lines, whatever the codec (by extension), from a file or S3.</summary>
internal static class PipelineOutput
{
    public static IEnumerable<string> JsonLines(string file)
    {
        using var stream = File.OpenRead(file);
        foreach (var line in Lines(stream, file))
        {
            yield return line;
        }
    }

    /// <summary>The lines of every object under <paramref name="prefix"/>.</summary>
    public static async IAsyncEnumerable<string> JsonLinesAsync(IAmazonS3 s3, string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var (key, body) in ObjectsAsync(s3, bucket, prefix, cancellationToken).ConfigureAwait(false))
        {
            using var stream = new MemoryStream(body, writable: false);
            foreach (var line in Lines(stream, key))
            {
                yield return line;
            }
        }
    }

    /// <summary>Every object under <paramref name="prefix"/>, in key order: its key and bytes.</summary>
    public static async IAsyncEnumerable<(string Key, byte[] Body)> ObjectsAsync(IAmazonS3 s3, string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(s3);
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
            {
                using var response = await s3.GetObjectAsync(bucket, o.Key, cancellationToken).ConfigureAwait(false);
                using var body = new MemoryStream();
                await response.ResponseStream.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
                yield return (o.Key, body.ToArray());
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    // Snappy here is the framed format the sink writes with "snappy"; hadoop-snappy objects share the extension and are not read.
    public static List<string> Lines(Stream stream, string name)
    {
        var codec = Path.GetExtension(name) switch
        {
            ".gz" => CompressionCodec.Gzip,
            ".zst" => CompressionCodec.Zstd,
            ".snappy" => CompressionCodec.Snappy,
            _ => CompressionCodec.None,
        };
        using var decompressed = codec == CompressionCodec.None ? stream : CompressionStreams.CreateDecompressor(stream, codec, leaveOpen: true);
        using var reader = new StreamReader(decompressed, Encoding.UTF8, leaveOpen: true);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        return lines;
    }
}
