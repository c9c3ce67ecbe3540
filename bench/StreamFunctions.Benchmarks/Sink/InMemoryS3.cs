using System.Net;
using System.Net.Http.Headers;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace StreamFunctions.Benchmarks.Sink;

/// <summary>
/// S3 in memory, under a real AWS SDK S3 client: the client is configured as the deployed function's is against AWS
/// (a region endpoint, virtual-hosted addressing, the SDK's default request checksums, SigV4 signing) and does all
/// the work it does there (marshalling, payload hash, checksum, signature), but its HTTP requests end in this
/// handler instead of the network. It takes PUTs only, keeps the last body in one reused buffer (so that the
/// benchmark's allocations are the client's and the sink's, not the store's) and answers as S3 does (200, an ETag);
/// any other request fails the call, so a benchmark that was meant to stage one chunk cannot silently do more.
/// </summary>
internal sealed class InMemoryS3 : HttpMessageHandler
{
    // S3's ETag of an object is the MD5 of its bytes; the sink stores it without reading it, so one fixed value serves.
    private static readonly EntityTagHeaderValue ETag = new("\"9b2cf535f27731c974343645a3985328\"");
    private readonly MemoryStream _lastBody = new();
    private int _puts;

    /// <summary>PUT requests answered so far.</summary>
    public int Puts => Volatile.Read(ref _puts);

    /// <summary>The path (the object key, URL-encoded, after a <c>/</c>) of the last PUT.</summary>
    public string? LastPath { get; private set; }

    /// <summary>The body of the last PUT; valid until the next one.</summary>
    public ReadOnlyMemory<byte> LastBody => _lastBody.GetBuffer().AsMemory(0, (int)_lastBody.Length);

    /// <summary>An S3 client whose requests come here, configured as the deployed function's client against AWS.</summary>
    /// <returns>The client; the caller disposes it.</returns>
    public AmazonS3Client CreateClient() => new(
        new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        new AmazonS3Config
        {
            // As StreamFunctions.Aws.AwsClientFactory builds it with no custom endpoint (the deployed function).
            RegionEndpoint = RegionEndpoint.USEast1,
            IgnoreConfiguredEndpointUrls = true,
            HttpClientFactory = new Factory(this),
        });

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Put || request.Content is null || request.RequestUri is null)
        {
            throw new InvalidOperationException($"The benchmark's in-memory S3 takes only PUT object requests; the sink sent {request.Method} {request.RequestUri}.");
        }

        _lastBody.SetLength(0);
        await request.Content.CopyToAsync(_lastBody, cancellationToken).ConfigureAwait(false);
        LastPath = request.RequestUri.AbsolutePath;
        Interlocked.Increment(ref _puts);
        var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent([]) };
        response.Headers.ETag = ETag;
        response.Headers.Add("x-amz-request-id", "BENCHMARK");
        return response;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _lastBody.Dispose();
        }

        base.Dispose(disposing);
    }

    // The SDK asks its factory for the HttpClient it sends with; this one sends to the handler (which outlives the clients).
    private sealed class Factory(HttpMessageHandler handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);
    }
}
