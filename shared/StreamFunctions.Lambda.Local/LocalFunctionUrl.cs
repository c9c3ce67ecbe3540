using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.ApiGateway;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Lambda.Local;

/// <summary>
/// A Lambda Function URL on loopback: each HTTP request becomes the payload format 2.0 event a Function URL
/// sends (headers lower-cased and comma-joined, query string, a text body as is or any other body in base64,
/// <c>requestContext.http</c>, request id and time), the function is invoked, and its response (status, headers,
/// cookies, body, base64) is sent back. A function error is a 502, as a Function URL answers. The URL's auth type
/// is NONE: the function checks what it requires (the gateway's API key, for one).
/// </summary>
public sealed class LocalFunctionUrl : LoopbackHttpServer
{
    private readonly ILambdaInvoker _function;
    private readonly TimeProvider _time;

    /// <summary>Creates the URL.</summary>
    /// <param name="function">The function behind it.</param>
    /// <param name="time">The clock for the request time.</param>
    public LocalFunctionUrl(ILambdaInvoker function, TimeProvider? time = null)
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
    /// <returns>The event.</returns>
    public static APIGatewayHttpApiV2ProxyRequest EventFor(string method, string rawPath, string rawQuery, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body, string sourceIp, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var lowered = headers.GroupBy(h => h.Key.ToLowerInvariant(), StringComparer.Ordinal).ToDictionary(g => g.Key, g => string.Join(',', g.Select(h => h.Value)), StringComparer.Ordinal);
        var contentType = lowered.GetValueOrDefault("content-type") ?? string.Empty;
        var text = contentType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || contentType.Contains("json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("xml", StringComparison.OrdinalIgnoreCase);
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
        var response = context.Response;
        try
        {
            var request = context.Request;
            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body, Stopping).ConfigureAwait(false);
            var raw = request.RawUrl ?? "/";
            var question = raw.IndexOf('?', StringComparison.Ordinal);
            var headers = request.Headers.AllKeys.Where(k => k is not null).SelectMany(k => request.Headers.GetValues(k)!.Select(v => new KeyValuePair<string, string>(k!, v)));
            var evnt = EventFor(request.HttpMethod, question < 0 ? raw : raw[..question], question < 0 ? string.Empty : raw[(question + 1)..], headers, body.ToArray(), request.RemoteEndPoint.Address.ToString(), _time.GetUtcNow());
            var result = await _function.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest), Stopping).ConfigureAwait(false);
            Interlocked.Increment(ref _requests);
            if (!result.Succeeded)
            {
                await WriteAsync(response, 502, "application/json", "{\"Message\":\"Internal Server Error\"}"u8.ToArray()).ConfigureAwait(false);
                return;
            }

            var answer = JsonSerializer.Deserialize(result.Payload.Span, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyResponse)!;
            foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
            {
                if (!name.Equals("content-length", StringComparison.OrdinalIgnoreCase) && !name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                {
                    response.Headers[name] = value;
                }
            }

            foreach (var cookie in answer.Cookies ?? [])
            {
                response.Headers.Add("Set-Cookie", cookie);
            }

            var type = answer.Headers?.FirstOrDefault(h => h.Key.Equals("content-type", StringComparison.OrdinalIgnoreCase)).Value ?? "application/json";
            var bytes = answer.Body is null ? [] : answer.IsBase64Encoded ? Convert.FromBase64String(answer.Body) : Encoding.UTF8.GetBytes(answer.Body);
            await WriteAsync(response, answer.StatusCode == 0 ? 200 : answer.StatusCode, type, bytes).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpListenerException or JsonException or FormatException or OperationCanceledException or ObjectDisposedException)
        {
            try
            {
                await WriteAsync(response, 502, "application/json", "{\"Message\":\"Internal Server Error\"}"u8.ToArray()).ConfigureAwait(false);
            }
            catch (Exception again) when (again is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The caller went away.
            }
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The caller went away.
            }
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }
}
