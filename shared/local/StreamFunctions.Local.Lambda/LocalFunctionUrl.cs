using System.Globalization;
using System.Net;
using System.Text;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.ApiGateway;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Local.Lambda;

/// <summary>
/// A Lambda Function URL on loopback: each HTTP request becomes the payload format 2.0 event a Function URL
/// sends (headers lower-cased and comma-joined, query string, a text body that is valid UTF-8 as is and any other
/// body in base64, <c>requestContext.http</c>, request id and time), the function is invoked, and its response
/// (status, headers, cookies, body, base64; see <see cref="FunctionUrlResponse"/>) is sent back. A function error is
/// a 502, as a Function URL answers. The URL's auth type is NONE: the function checks what it requires (the gateway's
/// API key, for one).
/// </summary>
/// <remarks>
/// As Lambda, it accepts at most <see cref="MaxRequestBytes"/> (6 MB) of event: a Content-Length over it is a 413
/// before anything is read, a body without one is read to one byte past it and no further, and a body whose event
/// (base64 and headers included) is over it is a 413 too; the function is not invoked.
/// </remarks>
public sealed class LocalFunctionUrl : LoopbackHttpServer
{
    /// <summary>Lambda's synchronous invocation payload limit (the event, which holds the body): 6 MB, 6,291,456 bytes.</summary>
    public const int MaxRequestBytes = LocalRuntimeApiServer.MaxPayloadBytes;

    // The Invoke API's words for it (a Function URL answers 413 with a JSON Message, as for its other errors).
    private static readonly byte[] TooLarge = Encoding.UTF8.GetBytes($"{{\"Message\":\"Request must be smaller than {MaxRequestBytes} bytes for the InvokeFunction operation\"}}");
    private static readonly byte[] BadGateway = "{\"Message\":\"Internal Server Error\"}"u8.ToArray();
    private readonly ILambdaInvoker _function;
    private readonly TimeProvider _time;

    /// <summary>Creates the URL.</summary>
    /// <param name="function">The function behind it.</param>
    /// <param name="time">The clock for the request time.</param>
    /// <param name="log">Where failures of the URL itself (not the function's) are written; <see cref="Console.Error"/> when null.</param>
    public LocalFunctionUrl(ILambdaInvoker function, TimeProvider? time = null, TextWriter? log = null)
        : base(log)
    {
        _function = function ?? throw new ArgumentNullException(nameof(function));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The URL, e.g. <c>http://127.0.0.1:49152/</c>, once started.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Requests answered.</summary>
    public int Requests => _requests;

    private int _requests;

    /// <summary>Starts listening on a free loopback port.</summary>
    public void Start()
    {
        Url = new Uri($"http://127.0.0.1:{Listen()}/");
    }

    /// <summary>The event a Function URL sends for a request.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="rawPath">The path.</param>
    /// <param name="rawQuery">The query string, without <c>?</c>.</param>
    /// <param name="headers">The headers (names in any case; repeated names joined with commas).</param>
    /// <param name="body">The body.</param>
    /// <param name="sourceIp">The caller's address.</param>
    /// <param name="at">The request time.</param>
    /// <returns>The event: the body as text when its type is text (text/*, JSON, XML) and its bytes are valid UTF-8; otherwise
    /// in base64 with <c>isBase64Encoded</c>, so no byte is ever lost or replaced.</returns>
    public static APIGatewayHttpApiV2ProxyRequest EventFor(string method, string rawPath, string rawQuery, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, string sourceIp, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var lowered = headers.GroupBy(h => h.Key.ToLowerInvariant(), StringComparer.Ordinal).ToDictionary(g => g.Key, g => string.Join(',', g.Select(h => h.Value)), StringComparer.Ordinal);
        var contentType = lowered.GetValueOrDefault("content-type") ?? string.Empty;
        var textType = contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || contentType.Contains("json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase);

        // The documentation says only that a binary body is base64: bytes that are not UTF-8 are binary whatever the
        // type says, and base64 is the one form that keeps them (decoding them as text would put U+FFFD in their place).
        var text = textType && System.Text.Unicode.Utf8.IsValid(body.Span);
        var query = rawQuery.Length == 0
            ? null
            : rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .GroupBy(p => Uri.UnescapeDataString(p[0]), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => string.Join(',', g.Select(p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : string.Empty)), StringComparer.Ordinal);
        return new APIGatewayHttpApiV2ProxyRequest
        {
            Version = "2.0",
            RouteKey = "$default",
            RawPath = rawPath,
            RawQueryString = rawQuery,
            Headers = lowered,
            QueryStringParameters = query,
            Body = body.IsEmpty ? null : text ? Encoding.UTF8.GetString(body.Span) : Convert.ToBase64String(body.Span),
            IsBase64Encoded = !body.IsEmpty && !text,
            RequestContext = new APIGatewayHttpApiV2ProxyRequest.ProxyRequestContext
            {
                AccountId = "anonymous",
                ApiId = "local",
                DomainName = "127.0.0.1",
                DomainPrefix = "local",
                RequestId = Guid.NewGuid().ToString(),
                RouteKey = "$default",
                Stage = "$default",
                Time = at.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture) + " +0000",
                TimeEpoch = at.ToUnixTimeMilliseconds(),
                Http = new APIGatewayHttpApiV2ProxyRequest.HttpDescription
                {
                    Method = method,
                    Path = rawPath,
                    Protocol = "HTTP/1.1",
                    SourceIp = sourceIp,
                    UserAgent = lowered.GetValueOrDefault("user-agent"),
                },
            },
        };
    }

    /// <inheritdoc/>
    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            if (await LoopbackHttp.ReadBodyAsync(request, MaxRequestBytes, response, BodyIdleTimeout).ConfigureAwait(false) is not { } body)
            {
                await RefuseAsync(request, response, 413, TooLarge).ConfigureAwait(false);
                return;
            }

            var raw = request.RawUrl ?? "/";
            var question = raw.IndexOf('?', StringComparison.Ordinal);
            var headers = request.Headers.AllKeys.Where(k => k is not null).SelectMany(k => request.Headers.GetValues(k)!.Select(v => new KeyValuePair<string, string>(k!, v)));
            var evnt = EventFor(request.HttpMethod, question < 0 ? raw : raw[..question], question < 0 ? string.Empty : raw[(question + 1)..], headers, body, request.RemoteEndPoint.Address.ToString(), _time.GetUtcNow());
            var payload = LambdaEventJson.Serialize(evnt, LambdaEventsJsonContext.Minimal.APIGatewayHttpApiV2ProxyRequest, evnt.Body?.Length ?? 0);
            if (payload.Length > MaxRequestBytes)
            {
                await RefuseAsync(request, response, 413, TooLarge).ConfigureAwait(false);
                return;
            }

            var result = await _function.InvokeAsync(payload, Stopping).ConfigureAwait(false);
            Interlocked.Increment(ref _requests);
            if (result.StatusCode == 413)
            {
                await RefuseAsync(request, response, 413, TooLarge).ConfigureAwait(false);
                return;
            }

            FunctionUrlResponse answer;
            try
            {
                answer = result.Succeeded ? FunctionUrlResponse.From(result.Payload) : throw new FormatException("The function failed.");
            }
            catch (FormatException)
            {
                // The function failed or answered something no HTTP response can be: a Function URL's 502.
                await RefuseAsync(request, response, 502, BadGateway).ConfigureAwait(false);
                return;
            }

            foreach (var (name, value) in answer.Headers)
            {
                response.Headers[name] = value;
            }

            foreach (var cookie in answer.Cookies)
            {
                response.Headers.Add("Set-Cookie", cookie);
            }

            await WriteAsync(response, answer.StatusCode, answer.ContentType, answer.Body).ConfigureAwait(false);
        }
        catch (RequestBodyTimeoutException)
        {
            // A client that sends its body too slowly holds a slot others need: answered, and its connection closed.
            await RefuseAsync(request, response, 408, "{\"Message\":\"Request Timeout\"}"u8.ToArray()).ConfigureAwait(false);
            return;
        }
        catch (EndOfStreamException)
        {
            await RefuseAsync(request, response, 400, "{\"Message\":\"Bad Request: the body ended before its Content-Length\"}"u8.ToArray()).ConfigureAwait(false);
            return;
        }
        catch (ResponseWriteTimeoutException)
        {
            // The caller stopped reading its answer: cut off (the connection is aborted).
            return;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // The caller went away: if it still listens, it gets a 400.
            LoopbackHttp.CloseFailed(response, 400);
            return;
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
        {
            await RefuseAsync(request, response, 503, "{\"Message\":\"Service Unavailable\"}"u8.ToArray()).ConfigureAwait(false);
            return;
        }
        catch (Exception e)
        {
            // Unexpected: logged and answered, never left as the empty 200 an unanswered response would be.
            LoopbackHttp.Log(Log, $"LocalFunctionUrl: {request.HttpMethod} {request.RawUrl} failed (answered 500)", e);
            await RefuseAsync(request, response, 500, BadGateway).ConfigureAwait(false);
            return;
        }

        try
        {
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The caller went away.
        }
    }

    // A refusal: what is left of a small body is read first (so a client still sending gets the answer), then the answer;
    // if even that fails after the answer started, the connection is closed short of its length (a failed request to the client).
    private async Task RefuseAsync(HttpListenerRequest request, HttpListenerResponse response, int status, byte[] json)
    {
        try
        {
            await LoopbackHttp.DrainAsync(request, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await WriteAsync(response, status, "application/json", json).ConfigureAwait(false);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            LoopbackHttp.CloseFailed(response, status);
        }
    }

    // A client that stops reading is cut off (LoopbackHttp.WritePacedAsync): an answer may be megabytes.
    private async Task WriteAsync(HttpListenerResponse response, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        await LoopbackHttp.WritePacedAsync(response, body, 0, System.Diagnostics.Stopwatch.GetTimestamp(), BodyIdleTimeout).ConfigureAwait(false);
    }
}
