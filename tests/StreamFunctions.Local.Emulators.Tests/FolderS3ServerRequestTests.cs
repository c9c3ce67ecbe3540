using System.Net;
using System.Text;
using System.Xml.Linq;

namespace StreamFunctions.Local.Emulators.Tests;

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
        var upload = await InitiateAsync();
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
    [InlineData("0123456789abcdef0123456789abcdef")]
    public async Task AbortUpload_IdThisStoreNeverGave_NoSuchUploadAndPendingUploadsKept(string id)
    {
        var upload = await InitiateAsync();

        var abort = await SendAsync(HttpMethod.Delete, $"/data/big?uploadId={id}");
        var part = await SendAsync(HttpMethod.Put, $"/data/big?partNumber=1&uploadId={upload}", "still pending");

        AssertError(abort, HttpStatusCode.NotFound, "NoSuchUpload");
        Assert.Equal(HttpStatusCode.OK, part.Status);
    }

    [Fact]
    public async Task AbortUpload_AlreadyAbortedOrCompleted_NoSuchUpload()
    {
        var aborted = await InitiateAsync();
        var completed = await InitiateAsync();
        var part = await SendAsync(HttpMethod.Put, $"/data/big?partNumber=1&uploadId={completed}", "whole");
        var xml = $"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.ETag}</ETag></Part></CompleteMultipartUpload>";
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/data/big?uploadId={completed}", xml)).Status);

        var first = await SendAsync(HttpMethod.Delete, $"/data/big?uploadId={aborted}");
        var again = await SendAsync(HttpMethod.Delete, $"/data/big?uploadId={aborted}");
        var afterComplete = await SendAsync(HttpMethod.Delete, $"/data/big?uploadId={completed}");

        Assert.Equal(HttpStatusCode.NoContent, first.Status);
        AssertError(again, HttpStatusCode.NotFound, "NoSuchUpload");
        AssertError(afterComplete, HttpStatusCode.NotFound, "NoSuchUpload");
        Assert.Equal("whole", (await SendAsync(HttpMethod.Get, "/data/big")).Body);
    }

    [Theory]
    [InlineData("/data/elsewhere")]
    [InlineData("/data/Big")]
    [InlineData("/data/big/below")]
    [InlineData("/other/big")]
    public async Task Upload_NamedUnderAnotherBucketOrKey_NoSuchUploadAndTheUploadUntouched(string target)
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/other")).Status);
        var upload = await InitiateAsync();
        var right = await SendAsync(HttpMethod.Put, $"/data/big?partNumber=1&uploadId={upload}", "right");
        var xml = $"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{right.ETag}</ETag></Part></CompleteMultipartUpload>";

        var part = await SendAsync(HttpMethod.Put, $"{target}?partNumber=1&uploadId={upload}", "wrong");
        var complete = await SendAsync(HttpMethod.Post, $"{target}?uploadId={upload}", xml);
        var abort = await SendAsync(HttpMethod.Delete, $"{target}?uploadId={upload}");
        var completeHere = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml);

        AssertError(part, HttpStatusCode.NotFound, "NoSuchUpload");
        AssertError(complete, HttpStatusCode.NotFound, "NoSuchUpload");
        AssertError(abort, HttpStatusCode.NotFound, "NoSuchUpload");
        AssertError(await SendAsync(HttpMethod.Get, target), HttpStatusCode.NotFound, "NoSuchKey");
        Assert.True(completeHere.Status == HttpStatusCode.OK, completeHere.Body);
        Assert.Equal("right", (await SendAsync(HttpMethod.Get, "/data/big")).Body);
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

    [Theory]
    [InlineData("/data/a%00b")]
    [InlineData("/data/%00")]
    [InlineData("/da%00ta/k")]
    public async Task Put_KeyOrBucketWithANul_S3ErrorNot200(string path)
    {
        var put = await SendAsync(HttpMethod.Put, path, "x");

        Assert.Equal(HttpStatusCode.BadRequest, put.Status);
        Assert.Contains("<Code>", put.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ffffffff\r\nabc\r\n0\r\n\r\n", "IncompleteBody")]
    [InlineData("ffffffffffffffffff\r\nabc\r\n", "EntityTooLarge")]
    [InlineData("-1\r\nabc\r\n0\r\n\r\n", "InvalidArgument")]
    [InlineData("zz\r\nabc\r\n0\r\n\r\n", "InvalidArgument")]
    [InlineData("3\r\nabc", "IncompleteBody")]
    [InlineData("3\r\nabcdef\r\n0\r\n\r\n", "InvalidArgument")]
    [InlineData("3;chunk-signature=00\r\nabc\r\n", "IncompleteBody")]
    public async Task Put_MalformedAwsChunkedBody_S3ErrorAndNoObject(string encoded, string code)
    {
        var put = await SendAsync(HttpMethod.Put, "/data/chunked", encoded, [("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("Content-Encoding", "aws-chunked")]);

        AssertError(put, HttpStatusCode.BadRequest, code);
        AssertError(await SendAsync(HttpMethod.Get, "/data/chunked"), HttpStatusCode.NotFound, "NoSuchKey");
    }

    [Fact]
    public async Task Put_AwsChunkedWithSignaturesAndTrailer_StoresThePayload()
    {
        var encoded = "5;chunk-signature=ab\r\nhello\r\n1;chunk-signature=cd\r\n!\r\n0;chunk-signature=ef\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";

        var put = await SendAsync(HttpMethod.Put, "/data/chunked", encoded, [("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"), ("x-amz-decoded-content-length", "6")]);

        Assert.Equal(HttpStatusCode.OK, put.Status);
        Assert.Equal("hello!", (await SendAsync(HttpMethod.Get, "/data/chunked")).Body);
    }

    [Theory]
    [InlineData("bytes=99999999999999999999-")]
    [InlineData("bytes=5-")]
    [InlineData("bytes=-0")]
    [InlineData("bytes=3-1")]
    [InlineData("bytes=x-y")]
    public async Task Get_UnsatisfiableOrMalformedRange_InvalidRange416(string range)
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/five", "12345")).Status);

        var get = await SendAsync(HttpMethod.Get, "/data/five", headers: [("Range", range)]);

        AssertError(get, HttpStatusCode.RequestedRangeNotSatisfiable, "InvalidRange");
    }

    [Theory]
    [InlineData("bytes=1-99999999999999999999", "2345")]
    [InlineData("bytes=-99999999999999999999", "12345")]
    [InlineData("bytes=-2", "45")]
    public async Task Get_RangeWithHugeBounds_ClampedAsS3Does(string range, string expected)
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/five", "12345")).Status);

        var get = await SendAsync(HttpMethod.Get, "/data/five", headers: [("Range", range)]);

        Assert.Equal((HttpStatusCode.PartialContent, expected), (get.Status, get.Body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("partNumber=&")]
    [InlineData("partNumber=0&")]
    [InlineData("partNumber=10001&")]
    [InlineData("partNumber=99999999999999999999&")]
    [InlineData("partNumber=-1&")]
    public async Task UploadPart_MissingOrOutOfRangePartNumber_InvalidArgument(string partNumber)
    {
        var upload = await InitiateAsync();

        var part = await SendAsync(HttpMethod.Put, $"/data/big?{partNumber}uploadId={upload}", "x");

        AssertError(part, HttpStatusCode.BadRequest, "InvalidArgument");
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("//79")]
    public async Task List_BadContinuationToken_InvalidArgument(string token)
    {
        var list = await SendAsync(HttpMethod.Get, "/data?list-type=2&continuation-token=" + Uri.EscapeDataString(token));

        AssertError(list, HttpStatusCode.BadRequest, "InvalidArgument");
    }

    [Fact]
    public async Task List_MaxKeysZeroOnANonEmptyBucket_NoKeysAndNotTruncated()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/a", "x")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/b", "x")).Status);

        var list = await SendAsync(HttpMethod.Get, "/data?list-type=2&max-keys=0");

        Assert.True(list.Status == HttpStatusCode.OK, list.Body);
        var result = XDocument.Parse(list.Body).Root!;
        Assert.Equal("0", ListElement(result, "KeyCount"));
        Assert.Equal("0", ListElement(result, "MaxKeys"));
        Assert.Equal("false", ListElement(result, "IsTruncated"));
        Assert.Null(ListElement(result, "NextContinuationToken"));
        Assert.Null(ListElement(result, "Contents"));
    }

    [Fact]
    public async Task List_MaxKeysOverS3sLimit_AThousandKeysAndTruncated()
    {
        for (var i = 0; i < 1001; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(Root, "data", $"k{i:D4}"), "x");
        }

        var list = await SendAsync(HttpMethod.Get, "/data?list-type=2&max-keys=5000");

        Assert.True(list.Status == HttpStatusCode.OK, list.Body);
        var result = XDocument.Parse(list.Body).Root!;
        Assert.Equal("1000", ListElement(result, "KeyCount"));
        Assert.Equal("true", ListElement(result, "IsTruncated"));
        Assert.Equal(1000, result.Elements().Count(e => e.Name.LocalName == "Contents"));
        Assert.NotNull(ListElement(result, "NextContinuationToken"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("x")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("2147483648")]
    public async Task List_MaxKeysNotANonNegativeInteger_InvalidArgument(string maxKeys)
    {
        var list = await SendAsync(HttpMethod.Get, "/data?list-type=2&max-keys=" + Uri.EscapeDataString(maxKeys));

        AssertError(list, HttpStatusCode.BadRequest, "InvalidArgument");
    }

    [Theory]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload></CompleteMultipartUpload>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload><Part><ETag>\"x\"</ETag></Part></CompleteMultipartUpload>", "MalformedXML")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>99999999999</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPart")]
    [InlineData("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPartOrder")]
    [InlineData("<!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part></CompleteMultipartUpload>", "MalformedXML")]
    public async Task Complete_BadXml_S3Error(string xml, string code)
    {
        var upload = await InitiateAsync();

        var complete = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml);

        AssertError(complete, HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task Complete_IfNoneMatchStarOverAnExistingKey_PreconditionFailedAndTheUploadKept()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/big", "old")).Status);
        var (upload, xml) = await UploadOnePartAsync("big", "new");

        var refused = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml, [("If-None-Match", "*")]);
        var kept = (await SendAsync(HttpMethod.Get, "/data/big")).Body;
        var unconditional = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml);

        AssertError(refused, HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Equal("old", kept);
        Assert.True(unconditional.Status == HttpStatusCode.OK, unconditional.Body);
        Assert.Equal("new", (await SendAsync(HttpMethod.Get, "/data/big")).Body);
    }

    [Fact]
    public async Task Complete_IfMatch_CompletesOnlyOverTheNamedVersion()
    {
        var (upload, xml) = await UploadOnePartAsync("big", "new");

        var missing = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml, [("If-Match", "\"0123\"")]);
        var old = await SendAsync(HttpMethod.Put, "/data/big", "old");
        var stale = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml, [("If-Match", "\"0123\"")]);
        var kept = (await SendAsync(HttpMethod.Get, "/data/big")).Body;
        var matching = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml, [("If-Match", old.ETag!)]);

        AssertError(missing, HttpStatusCode.NotFound, "NoSuchKey");
        AssertError(stale, HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Equal("old", kept);
        Assert.True(matching.Status == HttpStatusCode.OK, matching.Body);
        Assert.Equal("new", (await SendAsync(HttpMethod.Get, "/data/big")).Body);
    }

    [Fact]
    public async Task Complete_IfNoneMatchOtherThanStar_NotImplementedAndNothingWritten()
    {
        var (upload, xml) = await UploadOnePartAsync("big", "new");

        var complete = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", xml, [("If-None-Match", "\"0123\"")]);

        AssertError(complete, HttpStatusCode.NotImplemented, "NotImplemented");
        AssertError(await SendAsync(HttpMethod.Get, "/data/big"), HttpStatusCode.NotFound, "NoSuchKey");
    }

    [Fact]
    public async Task Complete_TwoRacingWithIfNoneMatchStar_ExactlyOneWins()
    {
        // Both Completes are sent up to their last bytes, so both have found the key free and wait; then both finish at once.
        for (var round = 0; round < 4; round++)
        {
            var key = $"race-{round}";
            var first = await UploadOnePartAsync(key, "first");
            var second = await UploadOnePartAsync(key, "second");
            using var one = await SendAllButTheEndAsync($"/data/{key}?uploadId={first.Upload}", first.Xml, "If-None-Match: *");
            using var two = await SendAllButTheEndAsync($"/data/{key}?uploadId={second.Upload}", second.Xml, "If-None-Match: *");
            await Task.Delay(TimeSpan.FromMilliseconds(300));

            var answers = await Task.WhenAll(FinishAsync(one, first.Xml), FinishAsync(two, second.Xml));

            var won = answers.Select(a => a.StartsWith("HTTP/1.1 200", StringComparison.Ordinal)).ToArray();
            Assert.True(won.Count(w => w) == 1, string.Join("\n---\n", answers));
            Assert.Contains("<Code>PreconditionFailed</Code>", answers[won[0] ? 1 : 0], StringComparison.Ordinal);
            Assert.Equal(won[0] ? "first" : "second", (await SendAsync(HttpMethod.Get, $"/data/{key}")).Body);
        }
    }

    [Fact]
    public async Task Complete_IfMatchAndTheObjectDeletedWhileCompleting_ConditionalRequestConflictAndTheUploadGone()
    {
        // The Complete is sent up to its last bytes, so it has checked If-Match and waits; the object is deleted; then the
        // rest is sent. If the delete overtook the check (a slow machine), the answer is NoSuchKey and the round is repeated.
        for (var attempt = 1; ; attempt++)
        {
            var (upload, xml) = await UploadOnePartAsync("big", "new");
            var old = await SendAsync(HttpMethod.Put, "/data/big", "old");
            using var complete = await SendAllButTheEndAsync($"/data/big?uploadId={upload}", xml, $"If-Match: {old.ETag}");
            await Task.Delay(TimeSpan.FromMilliseconds(300 * attempt));
            Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "/data/big")).Status);
            var answer = await FinishAsync(complete, xml);
            if (attempt < 5 && answer.Contains("<Code>NoSuchKey</Code>", StringComparison.Ordinal))
            {
                continue;
            }

            Assert.StartsWith("HTTP/1.1 409", answer, StringComparison.Ordinal);
            Assert.Contains("<Code>ConditionalRequestConflict</Code>", answer, StringComparison.Ordinal);
            AssertError(await SendAsync(HttpMethod.Get, "/data/big"), HttpStatusCode.NotFound, "NoSuchKey");
            AssertError(await SendAsync(HttpMethod.Delete, $"/data/big?uploadId={upload}"), HttpStatusCode.NotFound, "NoSuchUpload");
            return;
        }
    }

    [Fact]
    public async Task Complete_BodyEndingBeforeItsContentLength_IncompleteBody()
    {
        var upload = await InitiateAsync();

        var answer = await RawAsync(Server.Endpoint, $"POST /data/big?uploadId={upload} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n<CompleteMultipartUpload>", halfClose: true);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("<Code>IncompleteBody</Code>", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Complete_XmlOverTheLimit_MaxMessageLengthExceededBeforeReading()
    {
        var upload = await InitiateAsync();

        var complete = await SendAsync(HttpMethod.Post, $"/data/big?uploadId={upload}", "<CompleteMultipartUpload>" + new string(' ', CompleteMultipartUploadXml.MaxBytes) + "</CompleteMultipartUpload>");

        AssertError(complete, HttpStatusCode.BadRequest, "MaxMessageLengthExceeded");
    }

    [Fact]
    public async Task Put_KeyBelowAnObjectOrOverAFolder_InvalidRequestNot500()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/a", "object")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/x/y", "object")).Status);

        AssertError(await SendAsync(HttpMethod.Put, "/data/a/b", "below"), HttpStatusCode.BadRequest, "InvalidRequest");
        AssertError(await SendAsync(HttpMethod.Put, "/data/x", "over"), HttpStatusCode.BadRequest, "InvalidRequest");
        Assert.Equal("object", (await SendAsync(HttpMethod.Get, "/data/a")).Body);
    }

    [Fact]
    public async Task List_KeyWithACharacterXmlCannotCarry_ListedAsACharacterReference()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, "/data/a%01b", "x")).Status);

        var list = await SendAsync(HttpMethod.Get, "/data?list-type=2");

        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Contains("<Key>a&#x1;b</Key>", list.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Content-Length: 10737418240", "")]
    [InlineData("Content-Length: 2000", "")]
    [InlineData("Content-Length: 64\r\nx-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nx-amz-decoded-content-length: 2000", "")]
    public async Task Put_DeclaredSizeOverTheLimit_EntityTooLargeBeforeTheBodyIsSent(string headers, string body)
    {
        await using var small = StartSmall();

        // Only the headers are sent: an answer proves the server decided without waiting for the body.
        var answer = await RawAsync(small.Endpoint, $"PUT /data/big HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n\r\n{body}");

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("<Code>EntityTooLarge</Code>", answer, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_parent, "small", "data", "big")));
    }

    [Fact]
    public async Task Put_BodyOverTheLimitWithoutALength_EntityTooLargeAndTheTemporaryFileRemoved()
    {
        await using var small = StartSmall();
        using var request = new HttpRequestMessage(HttpMethod.Put, small.Endpoint + "data/big") { Content = new StreamContent(new MemoryStream(new byte[4096])) };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<Code>EntityTooLarge</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_parent, "small", ".uploads", "tmp")));
    }

    [Theory]
    [InlineData("PUT /data/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nhello")]
    [InlineData("PUT /data/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")]
    [InlineData("PUT /data/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nx-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER\r\nContent-Encoding: aws-chunked\r\nContent-Length: 100\r\n\r\n5\r\nhe")]
    [InlineData("POST /data/big?uploadId={upload} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n<CompleteMultipartUpload>")]
    public async Task Body_ThatStalls_RequestTimeoutWithinSecondsAndNothingKept(string request)
    {
        // A client that sends part of its body and then nothing would hold one of the server's request slots for as long
        // as it likes: after 1 s without a byte (the test's setting; 30 s by default) it is S3's RequestTimeout.
        var root = Path.Combine(_parent, "slow");
        await using var slow = new FolderS3Server(root) { BodyIdleTimeout = TimeSpan.FromSeconds(1) };
        slow.Start();
        Directory.CreateDirectory(Path.Combine(root, "data"));
        using var initiated = await _http.PostAsync(slow.Endpoint + "data/big?uploads", null);
        var upload = XDocument.Parse(await initiated.Content.ReadAsStringAsync()).Root!.Elements().Single(e => e.Name.LocalName == "UploadId").Value;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var answer = await RawAsync(slow.Endpoint, request.Replace("{upload}", upload, StringComparison.Ordinal));

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("<Code>RequestTimeout</Code>", answer, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.False(File.Exists(Path.Combine(root, "data", "slow")));
        Assert.False(File.Exists(Path.Combine(root, "data", "big")));
        var temporary = Path.Combine(root, ".uploads", "tmp");
        Assert.True(!Directory.Exists(temporary) || !Directory.EnumerateFiles(temporary).Any(), "a temporary file was left");
    }

    [Fact]
    public void Create_MaxPutBytesOverS3s_ThrowsNamingTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new FolderS3Server(Path.Combine(_parent, "x"), new FolderS3ServerOptions { MaxPutBytes = FolderS3ServerOptions.S3MaxPutBytes + 1 }));

        Assert.Equal("MaxPutBytes", error.ParamName);
    }

    [Fact]
    public async Task Head_MissingKey_404WithTheErrorCodeAndNoBody()
    {
        var head = await SendAsync(HttpMethod.Head, "/data/missing");

        Assert.Equal((HttpStatusCode.NotFound, string.Empty), (head.Status, head.Body));
    }

    // A multipart upload of data/big: its id.
    private async Task<string> InitiateAsync() =>
        XDocument.Parse((await SendAsync(HttpMethod.Post, "/data/big?uploads")).Body).Root!.Elements().Single(e => e.Name.LocalName == "UploadId").Value;

    // A multipart upload of data/{key} with one part: its id and the CompleteMultipartUpload body that completes it.
    private async Task<(string Upload, string Xml)> UploadOnePartAsync(string key, string content)
    {
        var upload = XDocument.Parse((await SendAsync(HttpMethod.Post, $"/data/{key}?uploads")).Body).Root!.Elements().Single(e => e.Name.LocalName == "UploadId").Value;
        var part = await SendAsync(HttpMethod.Put, $"/data/{key}?partNumber=1&uploadId={upload}", content);
        Assert.Equal(HttpStatusCode.OK, part.Status);
        return (upload, $"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.ETag}</ETag></Part></CompleteMultipartUpload>");
    }

    // A second store beside the first, with a bucket and a limit of 1 KiB a PUT.
    private FolderS3Server StartSmall()
    {
        var small = new FolderS3Server(Path.Combine(_parent, "small"), new FolderS3ServerOptions { MaxPutBytes = 1024 });
        small.Start();
        Directory.CreateDirectory(Path.Combine(_parent, "small", "data"));
        return small;
    }

    private static async Task<string> RawAsync(Uri endpoint, string request, bool halfClose = false)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        if (halfClose)
        {
            client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        }

        return await ReadAnswerAsync(stream);
    }

    // A CompleteMultipartUpload sent but for the last 10 bytes of its body: the server has the request and waits for them.
    private async Task<System.Net.Sockets.TcpClient> SendAllButTheEndAsync(string target, string xml, string header)
    {
        var body = Encoding.UTF8.GetBytes(xml);
        var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(Server.Endpoint.Host, Server.Endpoint.Port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\nContent-Length: {body.Length}\r\n\r\n"));
        await client.GetStream().WriteAsync(body.AsMemory(0, body.Length - 10));
        return client;
    }

    // The last 10 bytes of a request SendAllButTheEndAsync began, and the raw answer.
    private static async Task<string> FinishAsync(System.Net.Sockets.TcpClient client, string xml)
    {
        var body = Encoding.UTF8.GetBytes(xml);
        await client.GetStream().WriteAsync(body.AsMemory(body.Length - 10));
        return await ReadAnswerAsync(client.GetStream());
    }

    // A raw answer, read until its error XML (or a CompleteMultipartUploadResult) ends, or the connection closes.
    private static async Task<string> ReadAnswerAsync(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
        var answer = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while (!answer.ToString().Contains("</Error>", StringComparison.Ordinal)
            && !answer.ToString().Contains("</CompleteMultipartUploadResult>", StringComparison.Ordinal)
            && (read = await reader.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20))) > 0)
        {
            answer.Append(buffer, 0, read);
        }

        return answer.ToString();
    }

    // An element of a ListBucketResult (S3's namespace), or null when absent.
    private static string? ListElement(XElement result, string name) =>
        result.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

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
        return new Response(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.ETag?.Tag);
    }

    private sealed record Response(HttpStatusCode Status, string Body, string? ETag = null);
}
