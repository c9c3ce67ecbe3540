using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Local.EventSourceMapping.Destinations;
using StreamFunctions.Local.EventSourceMapping.Tests.Destinations;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Integration;

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class S3OnFailureDestinationTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly IAmazonS3 _s3 = aws.Clients.CreateS3Client();
    private readonly string _bucket = LocalAwsFixture.UniqueName("esm-dlq");

    public async Task InitializeAsync() => await _s3.PutBucketAsync(_bucket);

    public async Task DisposeAsync()
    {
        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        foreach (var o in listed.S3Objects ?? [])
        {
            await _s3.DeleteObjectAsync(_bucket, o.Key);
        }

        await _s3.DeleteBucketAsync(_bucket);
    }

    public void Dispose() => _s3.Dispose();

    [Fact]
    public async Task SendAsync_WritesTheRecordWithPayloadUnderLambdasKey()
    {
        var mappingId = Guid.NewGuid();
        var sut = new S3OnFailureDestination(_s3, _bucket, mappingId);

        await sut.SendAsync(OnFailureRecordJsonTests.DocumentedRecord("""{"Records":[]}"""u8.ToArray()));

        var listed = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        var key = Assert.Single(listed.S3Objects).Key;
        Assert.Matches($"^aws/lambda/{mappingId:D}/shardId-000000000001/2019/11/14/2019-11-14T00\\.38\\.06-[0-9a-f-]{{36}}$", key);
        using var got = await _s3.GetObjectAsync(_bucket, key);
        using var document = await JsonDocument.ParseAsync(got.ResponseStream);
        var info = document.RootElement.GetProperty("KinesisBatchInfo");
        Assert.Equal("49601189658422359378836298521827638475320189012309704722", info.GetProperty("startSequenceNumber").GetString());
        Assert.Equal(500, info.GetProperty("batchSize").GetInt32());
        Assert.Equal("""{"Records":[]}""", document.RootElement.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task SendAsync_ToAMissingBucket_ThrowsNamingTheBatch()
    {
        var sut = new S3OnFailureDestination(_s3, _bucket + "-absent", Guid.NewGuid());

        var error = await Assert.ThrowsAsync<Exceptions.OnFailureDestinationException>(() => sut.SendAsync(OnFailureRecordJsonTests.DocumentedRecord()));

        Assert.Contains("shardId-000000000001", error.Message, StringComparison.Ordinal);
    }
}
