using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws;

namespace StreamFunctions.Local.Emulators.Tests;

/// <summary>The folder-backed S3 endpoint through the AWS SDK: what the platform's writers call, and S3's errors.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes the server in IAsyncLifetime.DisposeAsync.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "S3's ETag is an MD5.")]
public sealed class FolderS3ServerTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-folder-s3-" + Guid.NewGuid().ToString("N"));
    private FolderS3Server? _server;
    private IAmazonS3? _s3;

    private IAmazonS3 S3 => _s3!;

    public async Task InitializeAsync()
    {
        _server = new FolderS3Server(_root);
        _server.Start();
        _s3 = new AwsClientFactory(AwsSettings.FromEnvironment(EnvironmentVariables.From(new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = _server.Endpoint.ToString(),
            ["AWS_ACCESS_KEY_ID"] = "local",
            ["AWS_SECRET_ACCESS_KEY"] = "local",
            ["AWS_REGION"] = "us-east-1",
        }))).CreateS3Client();
        await S3.PutBucketAsync("data");
    }

    [Fact]
    public async Task PutGetHeadListDelete_FilesLaidOutAsKeys()
    {
        await PutAsync("clicks/2026/11/23/a.jsonl", "one\n"u8.ToArray());
        await PutAsync("clicks/2026/11/23/b.jsonl", "two\n"u8.ToArray());
        await PutAsync("other/c", "three"u8.ToArray());

        Assert.Equal("one\n", File.ReadAllText(Path.Combine(_root, "data", "clicks", "2026", "11", "23", "a.jsonl")));
        Assert.Equal("two\n", await ReadAsync("clicks/2026/11/23/b.jsonl"));
        using (var range = await S3.GetObjectAsync(new GetObjectRequest { BucketName = "data", Key = "other/c", ByteRange = new ByteRange(1, 3) }))
        using (var reader = new StreamReader(range.ResponseStream))
        {
            Assert.Equal("hre", await reader.ReadToEndAsync());
        }

        var unsatisfiable = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectAsync(new GetObjectRequest { BucketName = "data", Key = "other/c", ByteRange = new ByteRange(9, 12) }));
        Assert.Equal("InvalidRange", unsatisfiable.ErrorCode);
        var head = await S3.GetObjectMetadataAsync("data", "other/c");
        Assert.Equal(5, head.ContentLength);
        Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData("three"u8.ToArray()))}\"", head.ETag);
        var list = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "data", Prefix = "clicks/", MaxKeys = 1 });
        Assert.Equal(["clicks/2026/11/23/a.jsonl"], list.S3Objects.Select(o => o.Key));
        Assert.True(list.IsTruncated);
        var rest = await S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "data", Prefix = "clicks/", ContinuationToken = list.NextContinuationToken });
        Assert.Equal(["clicks/2026/11/23/b.jsonl"], rest.S3Objects.Select(o => o.Key));

        await S3.DeleteObjectAsync("data", "other/c");
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => S3.GetObjectAsync("data", "other/c"));
        Assert.Equal("NoSuchKey", missing.ErrorCode);
        Assert.False(Directory.Exists(Path.Combine(_root, "data", "other")));
    }

    [Fact]
    public async Task Multipart_CompletedFromPartsInOrder_CopyAndConditionalPut()
    {
        var first = RandomNumberGenerator.GetBytes((5 * 1024 * 1024) + 7);
        var second = RandomNumberGenerator.GetBytes(1000);
        var upload = await S3.InitiateMultipartUploadAsync("data", "staging/big");
        var parts = new List<PartETag>();
        foreach (var (body, number) in new[] { (first, 1), (second, 2) })
        {
            using var stream = new MemoryStream(body);
            var part = await S3.UploadPartAsync(new UploadPartRequest { BucketName = "data", Key = "staging/big", UploadId = upload.UploadId, PartNumber = number, InputStream = stream });
            parts.Add(new PartETag(number, part.ETag));
        }

        var done = await S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "data", Key = "staging/big", UploadId = upload.UploadId, PartETags = parts });
        Assert.EndsWith("-2\"", done.ETag, StringComparison.Ordinal);
        Assert.Equal([.. first, .. second], File.ReadAllBytes(Path.Combine(_root, "data", "staging", "big")));
        var gone = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.UploadPartAsync(new UploadPartRequest { BucketName = "data", Key = "staging/big", UploadId = upload.UploadId, PartNumber = 3, InputStream = new MemoryStream([1]) }));
        Assert.Equal("NoSuchUpload", gone.ErrorCode);

        // A copy's ETag is the MD5 of its bytes, as S3 gives it (the source's "-2" form is the multipart upload's).
        var copied = await S3.CopyObjectAsync("data", "staging/big", "data", "final/big");
        var md5 = $"\"{Convert.ToHexStringLower(MD5.HashData([.. first, .. second]))}\"";
        Assert.Equal(md5, copied.ETag);
        Assert.Equal(md5, (await S3.GetObjectMetadataAsync("data", "final/big")).ETag);

        var conflict = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "final/big", ContentBody = "x", IfNoneMatch = "*", UseChunkEncoding = false }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, conflict.StatusCode);
    }

    [Fact]
    public async Task ConditionalPut_IfMatch_WritesOnlyOverTheNamedVersion()
    {
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "claim", ContentBody = "a", IfMatch = "\"0123\"", UseChunkEncoding = false }));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.False(File.Exists(Path.Combine(_root, "data", "claim")));

        var first = await S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "claim", ContentBody = "a", IfNoneMatch = "*", UseChunkEncoding = false });
        var second = await S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "claim", ContentBody = "b", IfMatch = first.ETag, UseChunkEncoding = false });
        var stale = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "claim", ContentBody = "c", IfMatch = first.ETag, UseChunkEncoding = false }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("PreconditionFailed", stale.ErrorCode);
        Assert.Equal("b", File.ReadAllText(Path.Combine(_root, "data", "claim")));
        Assert.NotEqual(first.ETag, second.ETag);
    }

    [Fact]
    public async Task Get_WhileTheObjectIsReplaced_TheETagIsAlwaysThatOfTheBytesSent()
    {
        // A GET's ETag and body once came from two reads, so a PUT between them gave a body that did not match its ETag.
        using var http = new HttpClient { BaseAddress = _server!.Endpoint };
        var bodies = Enumerable.Range(0, 4).Select(i => RandomNumberGenerator.GetBytes(64 * 1024 + i)).ToArray();
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "hot", InputStream = new MemoryStream(bodies[0]), UseChunkEncoding = false });
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "hot", InputStream = new MemoryStream(bodies[i % bodies.Length]), UseChunkEncoding = false });
            }
        });

        try
        {
            for (var read = 0; read < 300; read++)
            {
                using var response = await http.GetAsync("/data/hot");
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.Equal($"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"", response.Headers.ETag?.Tag);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
    }

    [Fact]
    public async Task SmallPartBeforeTheLast_RefusedAsS3Does()
    {
        var upload = await S3.InitiateMultipartUploadAsync("data", "k");
        var parts = new List<PartETag>();
        for (var number = 1; number <= 2; number++)
        {
            var part = await S3.UploadPartAsync(new UploadPartRequest { BucketName = "data", Key = "k", UploadId = upload.UploadId, PartNumber = number, InputStream = new MemoryStream(new byte[10]) });
            parts.Add(new PartETag(number, part.ETag));
        }

        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = "data", Key = "k", UploadId = upload.UploadId, PartETags = parts }));
        Assert.Equal("EntityTooSmall", e.ErrorCode);
        await S3.AbortMultipartUploadAsync("data", "k", upload.UploadId);
        Assert.False(File.Exists(Path.Combine(_root, "data", "k")));
    }

    [Fact]
    public async Task UnknownBucketAndTraversalKey_ClearErrors()
    {
        var bucket = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.PutObjectAsync(new PutObjectRequest { BucketName = "nope", Key = "a", ContentBody = "x", UseChunkEncoding = false }));
        Assert.Equal("NoSuchBucket", bucket.ErrorCode);
        var traversal = await Assert.ThrowsAsync<AmazonS3Exception>(() => S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = "a/../../escape", ContentBody = "x", UseChunkEncoding = false }));
        Assert.Equal("InvalidArgument", traversal.ErrorCode);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_root)!, "escape")));
    }

    public async Task DisposeAsync()
    {
        S3.Dispose();
        await _server!.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private async Task PutAsync(string key, byte[] body)
    {
        using var stream = new MemoryStream(body);
        await S3.PutObjectAsync(new PutObjectRequest { BucketName = "data", Key = key, InputStream = stream, UseChunkEncoding = false });
    }

    private async Task<string> ReadAsync(string key)
    {
        using var response = await S3.GetObjectAsync("data", key);
        using var reader = new StreamReader(response.ResponseStream);
        return await reader.ReadToEndAsync();
    }
}
