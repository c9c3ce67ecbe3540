using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Testing;

namespace StreamFunctions.Aws.Tests.Integration;

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class S3EmulatorTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly string _bucket = LocalAwsFixture.UniqueName("sfn-test");

    public async Task InitializeAsync() => await _s3.PutBucketAsync(_bucket);

    public async Task DisposeAsync()
    {
        // Leave nothing behind, which matters when the endpoints are a long-lived LocalStack.
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        foreach (var o in listed.S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
    }

    public void Dispose() => _s3.Dispose();

    [Fact]
    public async Task PutObject_ThenGetObject_ReturnsTheSameBytesAndMetadata()
    {
        var lines = string.Join('\n', Enumerable.Range(0, 100).Select(i => $$"""{"user":"u{{i % 7}}","n":{{i}}}""")) + "\n";
        var put = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = "year=2026/part-0000.jsonl",
            ContentBody = lines,
            ContentType = "application/x-ndjson",
            UseChunkEncoding = false,
        };
        put.Metadata["first-sequence"] = "49590338271490256608559692538361571095921575989136588898";

        await _s3.PutObjectAsync(put);
        using var got = await _s3.GetObjectAsync(_bucket, "year=2026/part-0000.jsonl");
        using var reader = new StreamReader(got.ResponseStream, Encoding.UTF8);

        Assert.Equal(lines, await reader.ReadToEndAsync());
        Assert.Equal("49590338271490256608559692538361571095921575989136588898", got.Metadata["first-sequence"]);
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "year=2026/" });
        Assert.Equal(["year=2026/part-0000.jsonl"], listed.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task GetObject_IfNoneMatchWithCurrentETag_IsAnsweredNotModified()
    {
        // s3rver honours If-None-Match on reads only; it ignores conditional writes (If-None-Match on
        // PUT), so conditional writes in emulator tests go through DynamoDB.
        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "state", ContentBody = "v1", UseChunkEncoding = false });
        var current = await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "state", ContentBody = "v2", UseChunkEncoding = false });

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() =>
            _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "state", EtagToNotMatch = current.ETag }));
        using var changed = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "state", EtagToNotMatch = "\"stale\"" });

        Assert.Equal(HttpStatusCode.NotModified, error.StatusCode);
        Assert.Equal(current.ETag, changed.ETag);
    }

    [Fact]
    public async Task MultipartUpload_OfTwoParts_ReadsBackAsOneObject()
    {
        // Parts other than the last must be at least 5 MiB, as on S3: the sink stages buffers this way.
        var part1 = new byte[5 * 1024 * 1024];
        var part2 = new byte[1234];
        new Random(42).NextBytes(part1);
        new Random(43).NextBytes(part2);

        var upload = await _s3.InitiateMultipartUploadAsync(_bucket, "multipart/object.bin");
        var etags = new List<PartETag>();
        foreach (var (number, bytes) in new[] { (1, part1), (2, part2) })
        {
            using var body = new MemoryStream(bytes);
            var part = await _s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _bucket,
                Key = "multipart/object.bin",
                UploadId = upload.UploadId,
                PartNumber = number,
                InputStream = body,
                UseChunkEncoding = false,
            });
            etags.Add(new PartETag(number, part.ETag));
        }

        await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = "multipart/object.bin",
            UploadId = upload.UploadId,
            PartETags = etags,
        });

        using var got = await _s3.GetObjectAsync(_bucket, "multipart/object.bin");
        using var read = new MemoryStream();
        await got.ResponseStream.CopyToAsync(read);
        Assert.Equal(part1.Concat(part2).ToArray(), read.ToArray());
    }

    [Fact]
    public async Task GetObject_MissingKey_ThrowsNoSuchKey()
    {
        var error = await Assert.ThrowsAsync<NoSuchKeyException>(() => _s3.GetObjectAsync(_bucket, "absent"));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }
}
