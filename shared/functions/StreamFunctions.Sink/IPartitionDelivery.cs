using StreamFunctions.Sink.Buffer;

namespace StreamFunctions.Sink;

/// <summary>
/// Where the sink's bytes go: the staged chunk of each durable batch, and the objects its finished partitions
/// become (whole, or assembled from parts as they accumulate). <see cref="S3Sink"/> decides what is delivered and
/// when, and records each step in the shard's state before the next; a delivery only moves bytes. Every call must be
/// idempotent for the same arguments (same key, same bytes): after a crash the sink repeats the interrupted step.
/// Failures a later attempt may cure are thrown as <see cref="Amazon.Runtime.AmazonServiceException"/>,
/// <see cref="HttpRequestException"/> or <see cref="IOException"/> (the batch or flush is retried); anything else
/// fails the call. <see cref="S3PartitionDelivery"/> delivers to S3 objects.
/// </summary>
public interface IPartitionDelivery
{
    /// <summary>Stages a batch's chunk (each partition's encoded bytes), before the state references it.</summary>
    /// <param name="key">The chunk's key, under <see cref="S3SinkOptions.StagingPrefix"/>.</param>
    /// <param name="chunk">The bytes.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task that completes when the chunk is durable.</returns>
    Task StageAsync(string key, ArraySegment<byte> chunk, CancellationToken cancellationToken);

    /// <summary>Reads a range of a staged chunk (a partition's segment).</summary>
    /// <param name="key">The chunk's key.</param>
    /// <param name="offset">The first byte.</param>
    /// <param name="destination">Filled exactly (its length is the range's).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task ReadStagedAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>Writes a whole object (a partition delivered in one piece, or an error object).</summary>
    /// <param name="key">The object's key.</param>
    /// <param name="data">Its bytes.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task PutObjectAsync(string key, byte[] data, CancellationToken cancellationToken);

    /// <summary>Starts assembling an object from parts.</summary>
    /// <param name="key">Where the parts are assembled (under the staging prefix; <see cref="CopyAsync"/> puts it at its key).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The upload's id (recorded in the state).</returns>
    Task<string> StartUploadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Uploads one part (every part but the last at least <see cref="S3SinkOptions.PartSize"/>).</summary>
    /// <param name="key">The upload's key.</param>
    /// <param name="uploadId">The upload.</param>
    /// <param name="number">The part number, from 1.</param>
    /// <param name="data">The part's bytes.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The part's ETag (recorded in the state).</returns>
    Task<string> UploadPartAsync(string key, string uploadId, int number, byte[] data, CancellationToken cancellationToken);

    /// <summary>Completes an upload from its parts: the object exists at the upload's key afterwards.</summary>
    /// <param name="key">The upload's key.</param>
    /// <param name="uploadId">The upload.</param>
    /// <param name="parts">Every part, in order.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task CompleteUploadAsync(string key, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken cancellationToken);

    /// <summary>Copies an object (a completed upload to the partition's key).</summary>
    /// <param name="sourceKey">The object.</param>
    /// <param name="destinationKey">Its copy's key.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken);

    /// <summary>Whether an object exists (a completed upload, when a crash came between completing and recording it).</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>True if it exists.</returns>
    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes staged objects the state no longer references (released chunks, completed uploads), best effort:
    /// an object left behind is unreferenced and expires with the staging prefix's lifecycle rule.
    /// </summary>
    /// <param name="keys">The keys.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task DeleteStagedAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);
}
