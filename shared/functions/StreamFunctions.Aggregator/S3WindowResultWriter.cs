using System.Globalization;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Objects;
using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator;

/// <summary>The object format of <see cref="S3WindowResultWriter"/>.</summary>
public enum ResultObjectFormat
{
    /// <summary>JSON lines, compressed with the writer's codec.</summary>
    JsonLines,

    /// <summary>Parquet (columns from the results; compressed inside the file).</summary>
    Parquet,
}

/// <summary>
/// Results as S3 objects written through the storage core's writers (JSON lines with a codec, or Parquet), one
/// object per batch and hour of window start: <c>{prefix}{aggregation}/{yyyy}/{MM}/{dd}/{HH}/{batchId}.{ext}</c>.
/// A retried batch rewrites the same objects, so nothing is duplicated by a crash; a batch that Lambda split
/// (bisect) or a late update can write a result key again in another object, and the one from the latest
/// <c>batch</c> of the shard is the current one (every line carries <c>resultKey</c>, <c>isUpdate</c> and <c>batch</c>).
/// </summary>
public sealed class S3WindowResultWriter : IWindowResultWriter
{
    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly ResultObjectFormat _format;
    private readonly CompressionOptions _compression;

    /// <summary>Creates the writer.</summary>
    /// <param name="s3">The client.</param>
    /// <param name="bucket">The bucket.</param>
    /// <param name="prefix">The prefix (e.g. <c>results/</c>).</param>
    /// <param name="format">JSON lines or Parquet.</param>
    /// <param name="compression">The codec of JSON lines (Parquet compresses its pages with Snappy).</param>
    public S3WindowResultWriter(IAmazonS3 s3, string bucket, string prefix = "results/", ResultObjectFormat format = ResultObjectFormat.JsonLines, CompressionOptions? compression = null)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        _s3 = s3;
        _bucket = bucket;
        _prefix = prefix ?? string.Empty;
        _format = format;
        _compression = (compression ?? new CompressionOptions { Codec = CompressionCodec.Gzip }).Validate();
    }

    /// <inheritdoc/>
    public async Task WriteAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        ArgumentNullException.ThrowIfNull(results);
        foreach (var hour in results.GroupBy(r => HourOf(r)).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var key = $"{_prefix}{results[0].Aggregation}/{hour.Key}/{batchId}{Extension}";
            var body = await EncodeAsync(batchId, [.. hour], cancellationToken).ConfigureAwait(false);
            await _s3.PutBytesAsync(_bucket, key, body, _format == ResultObjectFormat.Parquet ? "application/vnd.apache.parquet" : "application/x-ndjson", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The objects' extension: <c>.parquet</c>, or <c>.jsonl</c> plus the codec's.</summary>
    public string Extension => _format == ResultObjectFormat.Parquet ? ".parquet" : ".jsonl" + _compression.FileExtension;

    /// <summary>Encodes results as one object's bytes.</summary>
    /// <param name="batchId">The emitting batch.</param>
    /// <param name="results">The results.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The bytes.</returns>
    public async Task<byte[]> EncodeAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        using var output = new MemoryStream();
        if (_format == ResultObjectFormat.Parquet)
        {
            // The columns are fixed by the aggregation, not guessed from the rows: a sum that is whole in one row is still a real.
            List<ParquetColumn> schema =
            [
                new("resultKey", ParquetColumnType.Text),
                new("aggregation", ParquetColumnType.Text),
                new("groupKey", ParquetColumnType.Text),
                new("windowStart", ParquetColumnType.WholeNumber),
                new("windowEnd", ParquetColumnType.WholeNumber),
                new("count", ParquetColumnType.WholeNumber),
                new("isUpdate", ParquetColumnType.Boolean),
                new("batch", ParquetColumnType.Text),
                .. results.Count == 0 ? [] : results[0].Values.Select(v => new ParquetColumn(v.Name, v.Top is null ? ParquetColumnType.RealNumber : ParquetColumnType.Text)),
            ];
            var parquet = new ParquetObjectWriter(output, new ParquetObjectOptions { Schema = schema });
            await using (parquet.ConfigureAwait(false))
            {
                foreach (var result in results)
                {
                    await parquet.WriteAsync(WindowResultJson.ToUtf8(batchId, result), cancellationToken).ConfigureAwait(false);
                }

                await parquet.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            using var compressor = CompressionStreams.CreateCompressor(output, _compression, leaveOpen: true);
            using (var lines = new JsonLinesWriter(compressor, leaveOpen: true))
            {
                foreach (var result in results)
                {
                    lines.Write(WindowResultJson.ToUtf8(batchId, result));
                }
            }
        }

        return output.ToArray();
    }

    private static string HourOf(WindowResult result) => result.Window.IsCount
        ? "count"
        : DateTimeOffset.FromUnixTimeMilliseconds(result.Window.Start).ToString("yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture);
}
