using Amazon.S3;
using StreamFunctions.Aws;

namespace StreamFunctions.Aggregator;

/// <summary>The side output as S3 objects: <c>{prefix}{aggregation}/{shard}/{first}-{last}.jsonl</c>.</summary>
/// <param name="s3">The client.</param>
/// <param name="bucket">The bucket.</param>
/// <param name="prefix">The prefix (default <c>late/</c>).</param>
public sealed class S3SideOutput(IAmazonS3 s3, string bucket, string prefix = "late/") : ISideOutput
{
    /// <inheritdoc/>
    public async Task<string> WriteAsync(string aggregation, string shard, string firstSequence, string lastSequence, ReadOnlyMemory<byte> jsonLines, CancellationToken cancellationToken = default)
    {
        var key = $"{prefix}{aggregation}/{shard}/{firstSequence}-{lastSequence}.jsonl";
        await s3.PutBytesAsync(bucket, key, jsonLines.ToArray(), "application/x-ndjson", cancellationToken: cancellationToken).ConfigureAwait(false);
        return $"s3://{bucket}/{key}";
    }
}
