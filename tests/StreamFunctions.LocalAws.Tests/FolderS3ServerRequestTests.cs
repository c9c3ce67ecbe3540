using System.Net;
using System.Text;
using System.Xml.Linq;

namespace StreamFunctions.LocalAws.Tests;

/// <summary>
/// The folder S3 endpoint with requests no SDK sends (raw paths, hostile headers): every path it touches stays under
/// its folder, and every failure is S3's error XML with S3's status code.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes the server in IAsyncLifetime.DisposeAsync.")]
public sealed class FolderS3ServerRequestTests : IAsyncLifetime
{
    private const string Secret = "aws_secret_access_key = not-for-the-store";

    // The store's folder is one below a folder of the test's own, which holds a file the store must never serve.
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "sfn-folder-s3-req-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private FolderS3Server? _server;

    private string Root => Path.Combine(_parent, "out");

    private FolderS3Server Server => _server!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_parent, ".aws"));
        await File.WriteAllTextAsync(Path.Combine(_parent, ".aws", "credentials"), Secret);
        _server = new FolderS3Server(Root);
        Server.Start();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data")).Status);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Server.DisposeAsync();
        Directory.Delete(_parent, recursive: true);
    }

    [Theory]
    [InlineData("/../.aws/credentials")]
    [InlineData("../.aws/credentials")]
    [InlineData("/%2E%2E/.aws/credentials")]
    [InlineData("/data/../../.aws/credentials")]
    [InlineData("/data/%2e%2e/%2e%2e/.aws/credentials")]
    public async Task Copy_SourceOutsideTheFolder_RefusedAndNothingCopied(string source)
    {
        var copy = await SendAsync(HttpMethod.Put, "/data/x", headers: [("x-amz-copy-source", source)]);
        var get = await SendAsync(HttpMethod.Get, "/data/x");

        AssertError(copy, HttpStatusCode.BadRequest, "InvalidArgument");
        Assert.DoesNotContain(Secret, get.Body, StringComparison.Ordinal);
        AssertError(get, HttpStatusCode.NotFound, "NoSuchKey");
    }

    [Fact]
    public async Task Copy_FromTheUploadsFolder_RefusedAsABucketName()
    {
        var upload = XDocument.Parse((await SendAsync(HttpMethod.Post, "/data/big?uploads")).Body).Root!.Elements().Single(e => e.Name.LocalName == "UploadId").Value;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/data/big?partNumber=1&uploadId={upload}", "pending part")).Status);

        var copy = await SendAsync(HttpMethod.Put, "/data/x", headers: [("x-amz-copy-source", $"/.uploads/{upload}/1")]);
        var list = await SendAsync(HttpMethod.Get, "/.uploads?list-type=2");

        AssertError(copy, HttpStatusCode.BadRequest, "InvalidArgument");
        AssertError(list, HttpStatusCode.BadRequest, "InvalidBucketName");
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("tmp")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    public async Task AbortUpload_IdThisStoreNeverGave_NoSuchUploadAndPendingUploadsKept(string id)
    {
        var upload = XDocument.Parse((await SendAsync(HttpMethod.Post, "/data/big?uploads")).Body).Root!.Elements().Single(e => e.Name.LocalName == "UploadId").Value;

        var abort = await SendAsync(HttpMethod.Delete, $"/data/big?uploadId={id}");
        var part = await SendAsync(HttpMethod.Put, $"/data/big?partNumber=1&uploadId={upload}", "still pending");

        AssertError(abort, HttpStatusCode.NotFound, "NoSuchUpload");
        Assert.Equal(HttpStatusCode.OK, part.Status);
    }

    [Theory]
    [InlineData("/../out-sibling")]
    [InlineData("/..")]
    [InlineData("/.")]
    [InlineData("/data/a/../../../escape")]
    [InlineData("/data/%2E%2E/%2E%2E/escape")]
    [InlineData("/data/a%5C..%5C..%5Cescape")]
    public async Task Put_RawPathOutsideTheFolder_RefusedAndNothingWritten(string path)
    {
        var put = await SendAsync(HttpMethod.Put, path, "x");

        Assert.Equal(HttpStatusCode.BadRequest, put.Status);
        Assert.Contains("<Error><Code>", put.Body, StringComparison.Ordinal);
        Assert.Equal([Path.Combine(_parent, ".aws"), Root], Directory.EnumerateDirectories(_parent).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(_parent, "escape")));
    }

    [Fact]
    public async Task Get_SymbolicLinkToAFileOutsideTheFolder_Refused()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "data", "link"), Path.Combine(_parent, ".aws", "credentials"));

        var get = await SendAsync(HttpMethod.Get, "/data/link");
        var copy = await SendAsync(HttpMethod.Put, "/data/copied", headers: [("x-amz-copy-source", "/data/link")]);

        Assert.DoesNotContain(Secret, get.Body, StringComparison.Ordinal);
        AssertError(get, HttpStatusCode.Forbidden, "AccessDenied");
        AssertError(copy, HttpStatusCode.Forbidden, "AccessDenied");
    }

    [Fact]
    public async Task GetAndPut_ThroughAFolderLinkOutsideTheFolder_Refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(Root, "data", "dir"), _parent);

        var get = await SendAsync(HttpMethod.Get, "/data/dir/.aws/credentials");
        var put = await SendAsync(HttpMethod.Put, "/data/dir/planted", "x");
        var list = await SendAsync(HttpMethod.Get, "/data?list-type=2");

        AssertError(get, HttpStatusCode.Forbidden, "AccessDenied");
        AssertError(put, HttpStatusCode.Forbidden, "AccessDenied");
        Assert.False(File.Exists(Path.Combine(_parent, "planted")));
        Assert.DoesNotContain("credentials", list.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_SymbolicLinkInsideTheFolder_Served()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/real", "inside")).Status);
        File.CreateSymbolicLink(Path.Combine(Root, "data", "alias"), Path.Combine(Root, "data", "real"));

        var get = await SendAsync(HttpMethod.Get, "/data/alias");

        Assert.Equal(HttpStatusCode.OK, get.Status);
        Assert.Equal("inside", get.Body);
    }

    [Fact]
    public async Task Put_KeySegmentLongerThanTheFileSystemAllows_KeyTooLongError()
    {
        // 255 bytes is NAME_MAX: 128 two-byte characters are 256 bytes in UTF-8.
        var put = await SendAsync(HttpMethod.Put, "/data/ok/" + Uri.EscapeDataString(new string('é', 128)), "x");
        var fits = await SendAsync(HttpMethod.Put, "/data/ok/" + new string('a', 255), "x");

        AssertError(put, HttpStatusCode.BadRequest, "KeyTooLongError");
        Assert.Contains("255", put.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, fits.Status);
    }

    [Fact]
    public async Task Put_KeyOverS3sLimit_KeyTooLongError()
    {
        var key = string.Join('/', Enumerable.Repeat(new string('k', 100), 11));

        var put = await SendAsync(HttpMethod.Put, "/data/" + key, "x");

        AssertError(put, HttpStatusCode.BadRequest, "KeyTooLongError");
    }

    private static void AssertError(Response response, HttpStatusCode status, string code)
    {
        Assert.True(status == response.Status, $"expected {(int)status} {code}, got {(int)response.Status}: {response.Body}");
        var error = XDocument.Parse(response.Body).Root!;
        Assert.Equal("Error", error.Name.LocalName);
        Assert.Equal(code, error.Element("Code")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(error.Element("Message")?.Value));
    }

    // The path is sent as written (no dot-segment removal, no unescaping), as a hostile client would.
    private async Task<Response> SendAsync(HttpMethod method, string rawPath, string? body = null, (string Name, string Value)[]? headers = null)
    {
        var uri = new Uri(Server.Endpoint + rawPath.TrimStart('/'), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request);
        return new Response(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private sealed record Response(HttpStatusCode Status, string Body);
}
