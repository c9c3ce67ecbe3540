using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws;
using StreamFunctions.Sink.Buffer;

namespace StreamFunctions.Sink;

/// <summary>
/// Delivers to S3 objects in one bucket: chunks and multipart uploads under the staging prefix, delivered objects at
/// their keys. Puts send no chunk encoding (S3-compatible stores without aws-chunked accept them).
/// </summary>
/// <param name="s3">The client.</param>
/// <param name="bucket">The bucket (<see cref="S3SinkOptions.Bucket"/>).</param>
public sealed class S3PartitionDelivery(IAmazonS3 s3, string bucket) : IPartitionDelivery
{
    private readonly IAmazonS3 _s3 = s3 ?? throw new ArgumentNullException(nameof(s3));

    /// <inheritdoc/>
    public Task StageAsync(string key, ArraySegment<byte> chunk, CancellationToken cancellationToken) =>
        _s3.PutBytesAsync(bucket, key, chunk, cancellationToken: cancellationToken);

    /// <inheritdoc/>
    public async Task ReadStagedAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        using var response = await _s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket,
            Key = key,
            ByteRange = new ByteRange(offset, offset + destination.Length - 1),
        }, cancellationToken).ConfigureAwait(false);
        await response.ResponseStream.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task PutObjectAsync(string key, byte[] data, CancellationToken cancellationToken) =>
        _s3.PutBytesAsync(bucket, key, data, cancellationToken: cancellationToken);

    /// <inheritdoc/>
    public async Task<string> StartUploadAsync(string key, CancellationToken cancellationToken) =>
        (await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false)).UploadId;

    /// <inheritdoc/>
    public async Task<string> UploadPartAsync(string key, string uploadId, int number, byte[] data, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(data, writable: false);
        var response = await _s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = number,
            InputStream = body,
            PartSize = data.Length,
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
        return response.ETag;
    }

    /// <inheritdoc/>
    public Task CompleteUploadAsync(string key, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = uploadId,
            PartETags = [.. parts.Select(p => new PartETag(p.Number, p.ETag))],
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken) =>
        _s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = sourceKey,
            DestinationBucket = bucket,
            DestinationKey = destinationKey,
        }, cancellationToken);

    /// <inheritdoc/>
    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.GetObjectMetadataAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteStagedAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            try
            {
                await _s3.DeleteObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception)
            {
                // Best effort (see IPartitionDelivery.DeleteStagedAsync).
            }
        }
    }
}
