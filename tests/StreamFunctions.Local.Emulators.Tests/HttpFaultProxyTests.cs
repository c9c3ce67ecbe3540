using Amazon.Runtime;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.Testing.Faults;

namespace StreamFunctions.Local.Emulators.Tests;

/// <summary>
/// The fault suite's proxy in front of the folder S3 endpoint, through the AWS SDK: each fault reaches the client as
/// S3 would deliver it, and a reset is a real reset (the SDK retries it) rather than an empty success.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes the server in IAsyncLifetime.DisposeAsync.")]
public sealed class HttpFaultProxyTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-fault-proxy-" + Guid.NewGuid().ToString("N"));
    private readonly FolderS3Server _server;
    private readonly AmazonS3Client _direct;

    public HttpFaultProxyTests()
    {
        _server = new FolderS3Server(_root);
        _server.Start();
        _direct = Client(_server.Endpoint, retries: 0);
    }

    public async Task InitializeAsync() => await _direct.PutBucketAsync("data");

    [Theory]
    [InlineData("reset before")]
    [InlineData("reset after")]
    [InlineData("500")]
    [InlineData("503")]
    public async Task FirstPutFaulted_TheSdkRetriesAndTheObjectIsWritten(string fault)
    {
        var seen = new List<string>();
        using var proxy = HttpFaultProxy.Injecting(_server.Endpoint, r =>
        {
            lock (seen)
            {
                seen.Add(r.Operation);
                return seen.Count > 1 ? Fault.None : fault switch
                {
                    "reset before" => Fault.ResetBefore,
                    "reset after" => Fault.ResetAfter,
                    "500" => Fault.S3Error(500, "InternalError"),
                    _ => Fault.S3Error(503, "SlowDown"),
                };
            }
        });
        using var s3 = Client(proxy.Endpoint, retries: 2);

        await s3.PutBytesAsync("data", "k", new byte[1000]);

        Assert.Equal(["PutObject", "PutObject"], seen);
        Assert.Equal(1, proxy.Faults);
        Assert.Equal(1000, (await _direct.GetObjectMetadataAsync("data", "k")).ContentLength);
    }

    [Theory]
    [InlineData("reset before", false)]
    [InlineData("reset after", true)]
    public async Task ResetWithoutRetries_FailsTheCallAndTheObjectExistsOnlyIfForwarded(string fault, bool reachesService)
    {
        using var proxy = HttpFaultProxy.Injecting(_server.Endpoint, _ => fault == "reset before" ? Fault.ResetBefore : Fault.ResetAfter);
        using var s3 = Client(proxy.Endpoint, retries: 0);

        await Assert.ThrowsAnyAsync<Exception>(() => s3.PutBytesAsync("data", "reset", new byte[10]));

        var exists = File.Exists(Path.Combine(_root, "data", "reset"));
        Assert.Equal(reachesService, exists);
    }

    [Fact]
    public async Task Error_ReachesTheClientAsTheServicesErrorCode()
    {
        using var proxy = HttpFaultProxy.Injecting(_server.Endpoint, _ => Fault.S3Error(503, "SlowDown"));
        using var s3 = Client(proxy.Endpoint, retries: 0);

        var error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBytesAsync("data", "slow", new byte[10]));

        Assert.Equal("SlowDown", error.ErrorCode);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.False(File.Exists(Path.Combine(_root, "data", "slow")));
    }

    [Fact]
    public async Task Forwarded_KeepsStatusHeadersAndBody()
    {
        await _direct.PutBytesAsync("data", "etag", "abc"u8.ToArray());
        using var proxy = HttpFaultProxy.Injecting(_server.Endpoint, _ => Fault.None);
        using var s3 = Client(proxy.Endpoint, retries: 0);

        var head = await s3.GetObjectMetadataAsync("data", "etag");
        using var get = await s3.GetObjectAsync("data", "etag");
        using var reader = new StreamReader(get.ResponseStream);

        Assert.Equal((await _direct.GetObjectMetadataAsync("data", "etag")).ETag, head.ETag);
        Assert.Equal("abc", await reader.ReadToEndAsync());
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync("data", "none"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(0, proxy.Faults);
    }

    public async Task DisposeAsync()
    {
        _direct.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static AmazonS3Client Client(Uri endpoint, int retries) => new(new BasicAWSCredentials("local", "local"), new AmazonS3Config
    {
        ServiceURL = endpoint.ToString(),
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = retries,
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });
}
