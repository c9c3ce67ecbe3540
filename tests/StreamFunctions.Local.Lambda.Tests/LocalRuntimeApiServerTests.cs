using System.Net;
using System.Text;
using System.Text.Json;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>
/// The local Runtime API is the function's own: only a client with the path prefix in <c>AWS_LAMBDA_RUNTIME_API</c>
/// reads its events or answers them; any other local process is refused. Its request bodies are Lambda's 6 MB at most.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes them in IAsyncLifetime.DisposeAsync.")]
public sealed class LocalRuntimeApiServerTests : IAsyncLifetime
{
    private const string Next = "2018-06-01/runtime/invocation/next";
    private readonly HttpClient _http = new();
    private readonly LocalRuntimeApiServer _server = new(new LocalFunctionOptions { Timeout = TimeSpan.FromSeconds(30) });

    private string HostPort => _server.RuntimeApi.Split('/')[0];

    private string Prefix => AddressOf(_server).Prefix;

    private int Port => AddressOf(_server).Port;

    public Task InitializeAsync()
    {
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public void RuntimeApi_LoopbackPortAndAnUnguessablePrefix()
    {
        var prefix = Prefix.TrimStart('/');

        Assert.StartsWith("127.0.0.1:", _server.RuntimeApi, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}$", prefix);
        Assert.NotEqual(prefix, WithFreshServer(s => s.RuntimeApi.Split('/')[1]));
    }

    [Theory]
    [InlineData("/" + Next)]
    [InlineData("//" + Next)]
    [InlineData("/00000000000000000000000000000000/" + Next)]
    [InlineData("/%2E%2E/" + Next)]
    public async Task Next_WithoutThePrefix_403AndTheEventStaysTheFunctions(string path)
    {
        var invocation = _server.InvokeAsync("{\"apiKey\":\"secret\"}"u8.ToArray());

        var stranger = await SendAsync(HttpMethod.Get, path);
        AssertRefused(stranger, HttpStatusCode.Forbidden);
        using var next = await _http.GetAsync($"http://{_server.RuntimeApi}/{Next}");
        var requestId = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").Single();
        using var answered = await _http.PostAsync($"http://{_server.RuntimeApi}/2018-06-01/runtime/invocation/{requestId}/response", new StringContent("\"mine\""));

        Assert.DoesNotContain("secret", stranger.Body, StringComparison.Ordinal);
        Assert.Equal("{\"apiKey\":\"secret\"}", await next.Content.ReadAsStringAsync());
        Assert.Equal("\"mine\"", Encoding.UTF8.GetString((await invocation).Payload.Span));
    }

    [Fact]
    public async Task Response_WithoutThePrefix_403AndTheFunctionsAnswerStands()
    {
        var invocation = _server.InvokeAsync("{}"u8.ToArray());
        using var next = await _http.GetAsync($"http://{_server.RuntimeApi}/{Next}");
        var requestId = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").Single();

        var forged = await SendAsync(HttpMethod.Post, $"/2018-06-01/runtime/invocation/{requestId}/response", "\"forged\"");
        var initError = await SendAsync(HttpMethod.Post, "/2018-06-01/runtime/init/error", "{}");
        using var answered = await _http.PostAsync($"http://{_server.RuntimeApi}/2018-06-01/runtime/invocation/{requestId}/response", new StringContent("\"mine\""));

        AssertRefused(forged, HttpStatusCode.Forbidden);
        AssertRefused(initError, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        Assert.Equal("\"mine\"", Encoding.UTF8.GetString((await invocation).Payload.Span));
    }

    [Theory]
    [InlineData("GET", "2018-06-01/runtime/invocation/x/response", HttpStatusCode.NotFound)]
    [InlineData("POST", "2018-06-01/runtime/invocation/next", HttpStatusCode.NotFound)]
    [InlineData("GET", "2018-06-01/runtime/unknown", HttpStatusCode.NotFound)]
    [InlineData("POST", "2018-06-01/runtime/invocation/unknown-id/response", HttpStatusCode.BadRequest)]
    public async Task Request_WithThePrefixButNoSuchRoute_ClearJsonError(string method, string route, HttpStatusCode status)
    {
        AssertRefused(await SendAsync(new HttpMethod(method), $"{Prefix}/{route}", method == "POST" ? "{}" : null), status);
    }

    [Fact]
    public async Task Response_DeclaredOverSixMegabytes_413BeforeReadingAndTheInvocationFails()
    {
        var invocation = _server.InvokeAsync("{}"u8.ToArray());
        using var next = await _http.GetAsync($"http://{_server.RuntimeApi}/{Next}");
        var requestId = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").Single();

        var answer = await RawHttp.SendAsync(Port, $"POST {Prefix}/2018-06-01/runtime/invocation/{requestId}/response HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 400000000\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        var result = await invocation;
        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Contains("Function.ResponseSizeTooLarge", Encoding.UTF8.GetString(result.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_BodyEndingBeforeItsContentLength_400AndTheFunctionMayPostAgain()
    {
        var invocation = _server.InvokeAsync("{}"u8.ToArray());
        using var next = await _http.GetAsync($"http://{_server.RuntimeApi}/{Next}");
        var requestId = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").Single();

        var cut = await RawHttp.SendAsync(Port, $"POST {Prefix}/2018-06-01/runtime/invocation/{requestId}/response HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n\"partial", halfClose: true);
        using var whole = await _http.PostAsync($"http://{_server.RuntimeApi}/2018-06-01/runtime/invocation/{requestId}/response", new StringContent("\"whole\""));

        Assert.StartsWith("HTTP/1.1 400", cut, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, whole.StatusCode);
        Assert.Equal("\"whole\"", Encoding.UTF8.GetString((await invocation).Payload.Span));
    }

    [Fact]
    public async Task Response_BodyThatStalls_408AndTheFunctionMayPostAgain()
    {
        await using var server = PacedServer();
        var (port, prefix) = AddressOf(server);
        var invocation = server.InvokeAsync("{}"u8.ToArray());
        using var next = await _http.GetAsync($"http://{server.RuntimeApi}/{Next}");
        var requestId = next.Headers.GetValues("Lambda-Runtime-Aws-Request-Id").Single();

        var (stalled, after) = await RawHttp.TrickleAsync(
            port,
            $"POST {prefix}/2018-06-01/runtime/invocation/{requestId}/response HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n\"partial",
            string.Empty,
            TimeSpan.FromMilliseconds(1),
            TimeSpan.FromSeconds(20));
        using var whole = await _http.PostAsync($"http://{server.RuntimeApi}/2018-06-01/runtime/invocation/{requestId}/response", new StringContent("\"whole\""));

        Assert.StartsWith("HTTP/1.1 408", stalled, StringComparison.Ordinal);
        Assert.Contains("no byte for 1 s after 8 bytes", stalled, StringComparison.Ordinal);
        Assert.InRange(after, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Accepted, whole.StatusCode);
        Assert.Equal("\"whole\"", Encoding.UTF8.GetString((await invocation).Payload.Span));
    }

    [Fact]
    public async Task Next_ToAClientThatStopsReading_CutOffAndTheStrangersRequestAnsweredAtOnce()
    {
        await using var server = PacedServer();
        var (port, prefix) = AddressOf(server);
        _ = server.InvokeAsync(Encoding.UTF8.GetBytes("\"" + new string('e', 5 * 1024 * 1024) + "\""));

        // A 5 MB event to a client that reads nothing for 4 s: cut off after 1 s without progress.
        var received = await StreamFunctions.Testing.SlowReader.ReadLaterAsync(port, $"GET {prefix}/{Next} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", TimeSpan.FromSeconds(4));

        // A request without the prefix whose body trickles: answered at once, its body not waited for.
        var (refused, after) = await RawHttp.TrickleAsync(port, $"POST /{Next} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n", new string('a', 100), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(20));

        Assert.InRange(received, 1, 5 * 1024 * 1024);
        Assert.StartsWith("HTTP/1.1 403", refused, StringComparison.Ordinal);
        Assert.True(after < TimeSpan.FromSeconds(3), $"answered after {after}");
    }

    [Fact]
    public async Task InitError_ChunkedBodyOverSixMegabytes_413AfterReadingAtMostTheLimit()
    {
        var chunk = new string('a', 1 << 20);
        var request = new StringBuilder($"POST {Prefix}/2018-06-01/runtime/init/error HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (var i = 0; i < 7; i++)
        {
            request.Append("100000\r\n").Append(chunk).Append("\r\n");
        }

        // The body's end never comes: an answer proves the server stopped at the limit.
        var answer = await RawHttp.SendAsync(Port, request.ToString());

        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
    }

    // The loopback port and the secret path prefix of a server's AWS_LAMBDA_RUNTIME_API (127.0.0.1:PORT/PREFIX).
    private static (int Port, string Prefix) AddressOf(LocalRuntimeApiServer server)
    {
        var hostPort = server.RuntimeApi.Split('/')[0];
        return (int.Parse(hostPort.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture), server.RuntimeApi[hostPort.Length..]);
    }

    // A started server that gives up on a body or a reader after 1 s (30 s by default).
    private static LocalRuntimeApiServer PacedServer()
    {
        var server = new LocalRuntimeApiServer(new LocalFunctionOptions { Timeout = TimeSpan.FromSeconds(30) }, log: TextWriter.Null) { BodyIdleTimeout = TimeSpan.FromSeconds(1) };
        server.Start();
        return server;
    }

    private static T WithFreshServer<T>(Func<LocalRuntimeApiServer, T> read)
    {
        var other = new LocalRuntimeApiServer();
        other.Start();
        try
        {
            return read(other);
        }
        finally
        {
            other.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void AssertRefused(Response response, HttpStatusCode status)
    {
        Assert.True(status == response.Status, $"expected {(int)status}, got {(int)response.Status}: {response.Body}");
        using var error = JsonDocument.Parse(response.Body);
        Assert.False(string.IsNullOrWhiteSpace(error.RootElement.GetProperty("errorMessage").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.RootElement.GetProperty("errorType").GetString()));
    }

    // The path as written: no dot-segment removal or unescaping, as a hostile local process would send it.
    private async Task<Response> SendAsync(HttpMethod method, string rawPath, string? body = null)
    {
        var uri = new Uri($"http://{HostPort}{rawPath}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(method, uri) { Content = body is null ? null : new StringContent(body) };
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await _http.SendAsync(request, cancel.Token);
        return new Response(response.StatusCode, await response.Content.ReadAsStringAsync(cancel.Token));
    }

    private sealed record Response(HttpStatusCode Status, string Body);
}
