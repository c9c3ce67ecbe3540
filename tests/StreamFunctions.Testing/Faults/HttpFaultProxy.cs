using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StreamFunctions.Testing.Faults;

/// <summary>
/// A loopback HTTP proxy in front of one AWS endpoint (an emulator) that decides, request by request,
/// whether to forward it untouched or to inject a fault: an error status with the service's error body,
/// a delay, a connection reset before the request reaches the service, or a reset after it did (the
/// effect happened, the answer is lost: the case that tests idempotency). The request's <c>Host</c> is
/// kept, so SigV4 signatures stay valid. Point a client at <see cref="Endpoint"/>. It runs on Kestrel,
/// which (unlike <c>HttpListener</c>, whose abort can still send a success) really resets a connection.
/// </summary>
public sealed class HttpFaultProxy : IDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Expect", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly Uri _target;
    private readonly ProxyHandler _handler;
    private int _requests;
    private int _faults;

    /// <summary>Starts the proxy.</summary>
    /// <param name="target">The real endpoint.</param>
    /// <param name="handler">Answers each request, forwarding it (or a rewritten body) through the given delegate, or not.</param>
    public HttpFaultProxy(Uri target, ProxyHandler handler)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, 0);
            options.Limits.MaxRequestBodySize = null;
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        Endpoint = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    /// <summary>Starts a proxy that injects <paramref name="decide"/>'s fault for each request (or forwards it when that is <see cref="Fault.None"/>).</summary>
    /// <param name="target">The real endpoint.</param>
    /// <param name="decide">The fault for a request.</param>
    /// <returns>The proxy.</returns>
    public static HttpFaultProxy Injecting(Uri target, Func<ProxiedRequest, Fault> decide)
    {
        ArgumentNullException.ThrowIfNull(decide);
        return new HttpFaultProxy(target, (request, forward) => decide(request).ApplyAsync(request, forward));
    }

    /// <summary>Where clients connect.</summary>
    public Uri Endpoint { get; }

    /// <summary>Requests answered with a fault (anything but the service's own answer).</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <inheritdoc />
    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
        _upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
            var request = new ProxiedRequest(
                Interlocked.Increment(ref _requests),
                context.Request.Method,
                rawTarget,
                context.Request.Headers["X-Amz-Target"].FirstOrDefault(),
                body.ToArray());
            var answer = await _handler(request, b => ForwardAsync(context.Request, rawTarget, b)).ConfigureAwait(false);
            if (answer is null || answer.Injected)
            {
                Interlocked.Increment(ref _faults);
            }

            if (answer is null)
            {
                context.Abort();
                return;
            }

            context.Response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers)
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = value;
                }
            }

            if (!HttpMethods.IsHead(context.Request.Method))
            {
                context.Response.ContentLength = answer.Body.Length;
                await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            context.Abort();
        }
    }

    private async Task<ProxiedResponse> ForwardAsync(HttpRequest request, string rawTarget, byte[] body)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_target, rawTarget));
        message.Content = new ByteArrayContent(body);
        message.Content.Headers.ContentLength = body.Length;
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            var value = values.ToString();
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                // Signed: the service must see the host the client signed for.
                message.Headers.Host = value;
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await _upstream.SendAsync(message).ConfigureAwait(false);
        var answer = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers.Add(new(name, string.Join(",", values)));
        }

        return new ProxiedResponse((int)response.StatusCode, headers, answer);
    }
}

/// <summary>Answers one proxied request; <paramref name="forward"/> sends a body to the service and returns its answer. Null resets the connection.</summary>
/// <param name="request">The request.</param>
/// <param name="forward">Sends the request, with the given body, to the real endpoint.</param>
/// <returns>The answer, or null to reset the client's connection.</returns>
public delegate Task<ProxiedResponse?> ProxyHandler(ProxiedRequest request, Func<byte[], Task<ProxiedResponse>> forward);

/// <summary>A request as the proxy received it.</summary>
/// <param name="Number">1 for the proxy's first request, and so on.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="PathAndQuery">The raw path and query.</param>
/// <param name="Target">The <c>X-Amz-Target</c> header of JSON protocols (Kinesis, DynamoDB), else null.</param>
/// <param name="Body">The body.</param>
public sealed record ProxiedRequest(int Number, string Method, string PathAndQuery, string? Target, byte[] Body)
{
    /// <summary>The operation: the target's action (<c>PutItem</c>), or for S3 a name from the method and query.</summary>
    public string Operation => Target is { } t ? t[(t.IndexOf('.', StringComparison.Ordinal) + 1)..] : S3Operation();

    private string S3Operation()
    {
        var query = PathAndQuery.Contains('?', StringComparison.Ordinal) ? PathAndQuery[(PathAndQuery.IndexOf('?', StringComparison.Ordinal) + 1)..] : "";
        bool Has(string name) => query.Split('&').Any(p => p == name || p.StartsWith(name + "=", StringComparison.Ordinal));
        return Method switch
        {
            "PUT" when Has("partNumber") => "UploadPart",
            "PUT" => "PutObject",
            "POST" when Has("uploads") => "CreateMultipartUpload",
            "POST" when Has("uploadId") => "CompleteMultipartUpload",
            "POST" when Has("delete") => "DeleteObjects",
            "GET" when Has("list-type") => "ListObjectsV2",
            "GET" => "GetObject",
            "HEAD" => "HeadObject",
            "DELETE" when Has("uploadId") => "AbortMultipartUpload",
            "DELETE" => "DeleteObject",
            _ => Method,
        };
    }
}

/// <summary>An answer to a proxied request.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Headers">The headers.</param>
/// <param name="Body">The body.</param>
/// <param name="Injected">Whether the proxy made it up (a fault) rather than the service.</param>
public sealed record ProxiedResponse(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, bool Injected = false);

/// <summary>What the proxy does to one request.</summary>
public abstract record Fault
{
    /// <summary>Forward untouched.</summary>
    public static Fault None { get; } = new NoFault();

    /// <summary>Answers with an error status and body, without forwarding.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="contentType">The body's type.</param>
    /// <param name="body">The service's error body.</param>
    /// <returns>The fault.</returns>
    public static Fault Error(int status, string contentType, string body) => new ErrorFault(status, contentType, body, status.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>An S3 error (XML), e.g. 500 <c>InternalError</c> or 503 <c>SlowDown</c>.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">The S3 error code.</param>
    /// <returns>The fault.</returns>
    public static Fault S3Error(int status, string code) =>
        new ErrorFault(status, "application/xml", $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by HttpFaultProxy</Message><RequestId>fault</RequestId></Error>", $"{status} {code}");

    /// <summary>A JSON-protocol error (Kinesis, DynamoDB), e.g. 400 <c>ProvisionedThroughputExceededException</c> or 500 <c>InternalServerError</c>.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="type">The error type.</param>
    /// <returns>The fault.</returns>
    public static Fault JsonError(int status, string type) =>
        new ErrorFault(status, "application/x-amz-json-1.0", $$"""{"__type":"{{type}}","message":"injected by HttpFaultProxy"}""", $"{status} {type[(type.IndexOf('#', StringComparison.Ordinal) + 1)..]}");

    /// <summary>Waits, then forwards.</summary>
    /// <param name="delay">How long.</param>
    /// <returns>The fault.</returns>
    public static Fault Delay(TimeSpan delay) => new DelayFault(delay);

    /// <summary>Resets the connection before forwarding: the service never sees the request.</summary>
    public static Fault ResetBefore { get; } = new ResetFault(Forward: false);

    /// <summary>Forwards, then resets the connection: the service acted, the client never hears of it.</summary>
    public static Fault ResetAfter { get; } = new ResetFault(Forward: true);

    /// <summary>A short name for reports: <c>503 SlowDown</c>, <c>reset after acting</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Applies the fault to a request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="forward">Sends it to the service.</param>
    /// <returns>The answer, or null to reset the connection.</returns>
    public abstract Task<ProxiedResponse?> ApplyAsync(ProxiedRequest request, Func<byte[], Task<ProxiedResponse>> forward);

    private sealed record NoFault : Fault
    {
        public override string Name => "none";

        public override async Task<ProxiedResponse?> ApplyAsync(ProxiedRequest request, Func<byte[], Task<ProxiedResponse>> forward) =>
            await forward(request.Body).ConfigureAwait(false);
    }

    private sealed record ErrorFault(int Status, string ContentType, string Body, string Description) : Fault
    {
        public override string Name => Description;

        public override Task<ProxiedResponse?> ApplyAsync(ProxiedRequest request, Func<byte[], Task<ProxiedResponse>> forward) =>
            Task.FromResult<ProxiedResponse?>(new ProxiedResponse(Status, [new("Content-Type", ContentType)], System.Text.Encoding.UTF8.GetBytes(Body), Injected: true));
    }

    private sealed record DelayFault(TimeSpan Wait) : Fault
    {
        public override string Name => $"slow {Wait.TotalMilliseconds:0} ms";

        public override async Task<ProxiedResponse?> ApplyAsync(ProxiedRequest request, Func<byte[], Task<ProxiedResponse>> forward)
        {
            await Task.Delay(Wait).ConfigureAwait(false);
            return await forward(request.Body).ConfigureAwait(false) with { Injected = true };
        }
    }

    private sealed record ResetFault(bool Forward) : Fault
    {
        public override string Name => Forward ? "reset after acting" : "reset before acting";

        public override async Task<ProxiedResponse?> ApplyAsync(ProxiedRequest request, Func<byte[], Task<ProxiedResponse>> forward)
        {
            if (Forward)
            {
                _ = await forward(request.Body).ConfigureAwait(false);
            }

            return null;
        }
    }
}
