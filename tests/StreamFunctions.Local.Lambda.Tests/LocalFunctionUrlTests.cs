using System.Net;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>The local Function URL against what a Lambda Function URL does with bodies: bytes kept exactly, 6 MB at most, 413 above.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes them in IAsyncLifetime.DisposeAsync.")]
public sealed class LocalFunctionUrlTests : IAsyncLifetime
{
    private readonly RecordingFunction _function = new();
    private readonly HttpClient _http = new();
    private LocalFunctionUrl? _url;

    private LocalFunctionUrl Url => _url!;

    public Task InitializeAsync()
    {
        _url = new LocalFunctionUrl(_function);
        Url.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Url.DisposeAsync();
    }

    [Fact]
    public async Task Post_JsonThatIsNotUtf8_SentAsBase64WithEveryByteKept()
    {
        byte[] body = [.. "{\"name\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await _http.PostAsync(Url.Url, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var evnt = JsonDocument.Parse(_function.LastPayload);
        Assert.True(evnt.RootElement.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal(body, Convert.FromBase64String(evnt.RootElement.GetProperty("body").GetString()!));
    }

    [Theory]
    [InlineData("application/json", "{\"name\":\"é\"}")]
    [InlineData("text/plain; charset=utf-8", "héllo\n")]
    public async Task Post_TextThatIsUtf8_SentAsText(string contentType, string text)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await _http.PostAsync(Url.Url, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var evnt = JsonDocument.Parse(_function.LastPayload);
        Assert.False(evnt.RootElement.GetProperty("isBase64Encoded").GetBoolean());
        Assert.Equal(text, evnt.RootElement.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Post_DeclaredLengthOfHundredsOfMegabytes_413WithoutReadingOrInvoking()
    {
        // Only the headers are sent: the answer comes from Content-Length alone.
        var answer = await RawHttp.SendAsync(Url.Url.Port, $"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 400000000\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        Assert.Contains("6291456", answer, StringComparison.Ordinal);
        Assert.Equal(0, _function.Calls);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverTheLimit_413AfterReadingAtMostTheLimit()
    {
        // A chunked body without a length whose end never comes: the server must stop at the limit, not wait for the end.
        var chunk = new string('a', 1 << 20);
        var request = new StringBuilder("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (var i = 0; i < 7; i++)
        {
            request.Append("100000\r\n").Append(chunk).Append("\r\n");
        }

        var answer = await RawHttp.SendAsync(Url.Url.Port, request.ToString());

        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        Assert.Equal(0, _function.Calls);
    }

    [Fact]
    public async Task Post_BodyJustOverSixMegabytes_413NotA502()
    {
        using var content = new ByteArrayContent(new byte[LocalRuntimeApiServer.MaxPayloadBytes + 1]);
        content.Headers.ContentType = new("application/octet-stream");

        using var response = await _http.PostAsync(Url.Url, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Request must be smaller than 6291456 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _function.Calls);
    }

    [Fact]
    public async Task Post_JsonOfQuotesAndNonAsciiUnderSixMegabytes_InvokedWithAnEventOfAboutItsSize()
    {
        // Lambda writes its events with JSON's own escaping only; the default writer's \u0022 per quote and \uXXXX per
        // non-ASCII character made this 4 MB body an 18 MB event, refused with 413 where AWS takes it.
        var body = Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat("\"é\"", 4 * 1024 * 1024 / 5)) + "]");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await _http.PostAsync(Url.Url, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Each "é" (4 bytes) is \"é\" in the event (6 bytes), as JSON requires; not \u0022\u00E9\u0022 (18 bytes).
        Assert.InRange(_function.LastPayload.Length, body.Length, (body.Length * 3 / 2) + 4096);
        using var evnt = JsonDocument.Parse(_function.LastPayload);
        Assert.Equal(body, Encoding.UTF8.GetBytes(evnt.RootElement.GetProperty("body").GetString()!));
    }

    [Fact]
    public async Task Post_BinaryBodyWhoseEventIsOverSixMegabytes_413()
    {
        // 5 MB of binary is 6.7 MB of base64: the event, not the body, is what Lambda's 6 MB applies to.
        using var content = new ByteArrayContent(new byte[5 * 1024 * 1024]);
        content.Headers.ContentType = new("application/octet-stream");

        using var response = await _http.PostAsync(Url.Url, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, _function.Calls);
    }

    [Fact]
    public async Task Post_BodyEndingBeforeItsContentLength_400AndTheFunctionNotInvoked()
    {
        var answer = await RawHttp.SendAsync(Url.Url.Port, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":1}", halfClose: true);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Equal(0, _function.Calls);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300)]
    public async Task Post_BodySentTooSlowly_408WithinSecondsAndNotInvoked(int pauseMs)
    {
        // A client that stalls (0: five bytes, then nothing) or trickles a byte every 300 ms (never idle for the
        // 1 s allowed, but far under 64 KiB a second): answered 408 within a few seconds and never invoked; the next
        // request is served.
        await using var url = new LocalFunctionUrl(_function, log: TextWriter.Null) { BodyIdleTimeout = TimeSpan.FromSeconds(1) };
        url.Start();
        var body = pauseMs == 0 ? string.Empty : new string('a', 100);
        var head = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" + (pauseMs == 0 ? "{\"a\":" : string.Empty);

        var (answer, after) = await RawHttp.TrickleAsync(url.Url.Port, head, body, TimeSpan.FromMilliseconds(Math.Max(pauseMs, 1)), TimeSpan.FromSeconds(20));
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var next = await _http.PostAsync(url.Url, content);

        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
        Assert.Contains("Request Timeout", answer, StringComparison.Ordinal);
        Assert.InRange(after, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(1, _function.Calls);
    }

    [Fact]
    public async Task Answer_ToAClientThatStopsReading_CutOffWithinSeconds()
    {
        // 5 MB of answer to a client that reads nothing: without a limit its request would hold a slot until it read.
        var big = new RecordingFunction { Answer = JsonSerializer.SerializeToUtf8Bytes(new { statusCode = 200, body = new string('a', 5 * 1024 * 1024) }) };
        await using var url = new LocalFunctionUrl(big, log: TextWriter.Null) { BodyIdleTimeout = TimeSpan.FromSeconds(1) };
        url.Start();

        var received = await StreamFunctions.Testing.SlowReader.ReadLaterAsync(url.Url.Port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", TimeSpan.FromSeconds(4));

        Assert.Equal(1, big.Calls);
        Assert.InRange(received, 1, (5 * 1024 * 1024) - 1);
    }

    [Fact]
    public async Task Answer_ToAClientThatPausesLessThanTheLimit_ArrivesWhole()
    {
        var big = new RecordingFunction { Answer = JsonSerializer.SerializeToUtf8Bytes(new { statusCode = 200, body = new string('a', 5 * 1024 * 1024) }) };
        await using var url = new LocalFunctionUrl(big, log: TextWriter.Null) { BodyIdleTimeout = TimeSpan.FromSeconds(5) };
        url.Start();

        var received = await StreamFunctions.Testing.SlowReader.ReadLaterAsync(url.Url.Port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", TimeSpan.FromSeconds(1));

        Assert.True(received > 5 * 1024 * 1024, $"{received} bytes");
    }

    [Fact]
    public void EventFor_BodyNotValidUtf8UnderATextType_Base64()
    {
        byte[] body = [0x22, 0xED, 0xA0, 0x80, 0x22];

        var evnt = LocalFunctionUrl.EventFor("POST", "/", string.Empty, [new("Content-Type", "application/json")], body, "127.0.0.1", DateTimeOffset.UnixEpoch);

        Assert.True(evnt.IsBase64Encoded);
        Assert.Equal(body, Convert.FromBase64String(evnt.Body!));
    }

    private sealed class RecordingFunction : ILambdaInvoker
    {
        private int _calls;

        public int Calls => _calls;

        public byte[] LastPayload { get; private set; } = [];

        public byte[] Answer { get; init; } = "{\"statusCode\":200,\"body\":\"ok\"}"u8.ToArray();

        public Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            LastPayload = payload.ToArray();
            return Task.FromResult(new LambdaInvocationResult(200, Answer, null, "id"));
        }
    }
}
