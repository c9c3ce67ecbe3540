using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace StreamFunctions.Aws;

/// <summary>Writing an object whose bytes are in hand, the one way every component does it.</summary>
public static class S3Objects
{
    /// <summary>
    /// Puts <paramref name="body"/> at <paramref name="key"/>. The body is sent with its length, never chunk-encoded:
    /// S3-compatible servers over plain http (the emulators, the local folder S3) would store aws-chunked bodies as
    /// they are (see <see cref="AwsClientFactory.CreateS3Client"/>).
    /// </summary>
    /// <param name="s3">The client.</param>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="body">The object.</param>
    /// <param name="contentType">The content type, or null for S3's default.</param>
    /// <param name="contentMd5">Send Content-MD5, so S3 checks the upload's integrity.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>S3's answer.</returns>
    public static Task<PutObjectResponse> PutBytesAsync(this IAmazonS3 s3, string bucket, string key, byte[] body, string? contentType = null, bool contentMd5 = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return PutBytesAsync(s3, bucket, key, new ArraySegment<byte>(body), contentType, contentMd5, cancellationToken);
    }

    /// <summary>Puts the bytes of a segment of an array (a buffer's written part), as <see cref="PutBytesAsync(IAmazonS3, string, string, byte[], string?, bool, CancellationToken)"/>.</summary>
    /// <param name="s3">The client.</param>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="body">The object.</param>
    /// <param name="contentType">The content type, or null for S3's default.</param>
    /// <param name="contentMd5">Send Content-MD5, so S3 checks the upload's integrity.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>S3's answer.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "Content-MD5 is S3's integrity check for the upload, not a security use.")]
    public static async Task<PutObjectResponse> PutBytesAsync(this IAmazonS3 s3, string bucket, string key, ArraySegment<byte> body, string? contentType = null, bool contentMd5 = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(body.Array);
        using var content = new MemoryStream(body.Array, body.Offset, body.Count, writable: false);
        return await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = content,
            AutoCloseStream = false,
            ContentType = contentType,
            MD5Digest = contentMd5 ? Convert.ToBase64String(MD5.HashData(body)) : null,
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
    }
}
