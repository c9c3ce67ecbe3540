using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Exceptions;

namespace StreamFunctions.Lambda.Runtime;

/// <summary>One invocation handed out by the Runtime API's <c>next</c> call.</summary>
/// <param name="RequestId">Lambda-Runtime-Aws-Request-Id.</param>
/// <param name="Deadline">Lambda-Runtime-Deadline-Ms.</param>
/// <param name="InvokedFunctionArn">Lambda-Runtime-Invoked-Function-Arn.</param>
/// <param name="TraceId">Lambda-Runtime-Trace-Id, if any.</param>
/// <param name="ClientContext">Lambda-Runtime-Client-Context, if any.</param>
/// <param name="CognitoIdentity">Lambda-Runtime-Cognito-Identity, if any.</param>
/// <param name="Payload">The event.</param>
public sealed record Invocation(
    string RequestId,
    DateTimeOffset Deadline,
    string InvokedFunctionArn,
    string? TraceId,
    string? ClientContext,
    string? CognitoIdentity,
    ReadOnlyMemory<byte> Payload);

/// <summary>A function error in the Runtime API's format.</summary>
/// <param name="ErrorType">e.g. the exception's type name, or <c>Runtime.Unknown</c>.</param>
/// <param name="ErrorMessage">What failed.</param>
/// <param name="StackTrace">Stack frames, one per line.</param>
public sealed record LambdaError(string ErrorType, string ErrorMessage, IReadOnlyList<string> StackTrace)
{
    /// <summary>From an exception: its type name, message and stack frames.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>The error.</returns>
    public static LambdaError From(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new LambdaError(
            error.GetType().Name,
            error.Message,
            [.. (error.StackTrace ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
    }

    /// <summary>The JSON body: <c>{"errorMessage", "errorType", "stackTrace": [...]}</c>.</summary>
    /// <returns>UTF-8 JSON.</returns>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("errorMessage", ErrorMessage);
            writer.WriteString("errorType", ErrorType);
            writer.WriteStartArray("stackTrace");
            foreach (var frame in StackTrace)
            {
                writer.WriteStringValue(frame);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// The Lambda Runtime API (<c>/2018-06-01/runtime/...</c>) a custom runtime (<c>provided.al2023</c>)
/// talks to: next invocation, response, error, init error.
/// </summary>
public sealed class RuntimeApiClient
{
    private const string Version = "2018-06-01";
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private readonly HttpClient _http;
    private readonly Uri _base;

    /// <summary>Creates the client.</summary>
    /// <param name="http">An HTTP client without a timeout: <c>next</c> blocks until an invocation arrives
    /// (Lambda freezes the process meanwhile, so no client timeout can be right).</param>
    /// <param name="runtimeApi">The <c>AWS_LAMBDA_RUNTIME_API</c> value: <c>host:port</c> (Lambda's), or
    /// <c>host:port/prefix</c> (the local servers of <c>sfn</c>, whose prefix is the function's secret); every call goes under it.</param>
    /// <exception cref="RuntimeApiException">The value is neither.</exception>
    public RuntimeApiClient(HttpClient http, string runtimeApi)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _base = BaseUri(runtimeApi);
    }

    /// <summary>Waits for the next invocation.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The invocation.</returns>
    public async Task<Invocation> NextAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri(_base, "invocation/next"), cancellationToken).ConfigureAwait(false);
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new RuntimeApiException($"Runtime API next returned HTTP {(int)response.StatusCode}: {Encoding.UTF8.GetString(payload)}");
        }

        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
            ?? throw new RuntimeApiException("Runtime API next returned no Lambda-Runtime-Aws-Request-Id header.");
        if (!IsPathSegment(requestId))
        {
            // It becomes part of the response's path: '..' or a slash there would post somewhere else.
            throw new RuntimeApiException($"Runtime API next returned a Lambda-Runtime-Aws-Request-Id that cannot be one path segment: '{(requestId.Length <= 80 ? requestId : requestId[..80] + "…")}'.");
        }

        var deadlineText = Header(response, "Lambda-Runtime-Deadline-Ms");
        var deadline = long.TryParse(deadlineText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : throw new RuntimeApiException($"Runtime API next returned a Lambda-Runtime-Deadline-Ms that is not epoch milliseconds: '{deadlineText}'.");
        return new Invocation(
            requestId,
            deadline,
            Header(response, "Lambda-Runtime-Invoked-Function-Arn") ?? string.Empty,
            Header(response, "Lambda-Runtime-Trace-Id"),
            Header(response, "Lambda-Runtime-Client-Context"),
            Header(response, "Lambda-Runtime-Cognito-Identity"),
            payload);
    }

    /// <summary>Sends an invocation's response.</summary>
    /// <param name="requestId">The invocation.</param>
    /// <param name="payload">The response body.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when accepted.</returns>
    public Task ResponseAsync(string requestId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        PostAsync($"invocation/{requestId}/response", payload, errorType: null, cancellationToken);

    /// <summary>Reports an invocation's error.</summary>
    /// <param name="requestId">The invocation.</param>
    /// <param name="error">The error.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when accepted.</returns>
    public Task ErrorAsync(string requestId, LambdaError error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        return PostAsync($"invocation/{requestId}/error", error.ToJson(), error.ErrorType, cancellationToken);
    }

    /// <summary>Reports that the function could not initialise; Lambda then fails the invocation and restarts.</summary>
    /// <param name="error">The error.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when accepted.</returns>
    public Task InitErrorAsync(LambdaError error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        return PostAsync("init/error", error.ToJson(), error.ErrorType, cancellationToken);
    }

    private async Task PostAsync(string path, ReadOnlyMemory<byte> body, string? errorType, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, path)) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = JsonType;
        if (errorType is not null)
        {
            request.Headers.TryAddWithoutValidation("Lambda-Runtime-Function-Error-Type", errorType);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new RuntimeApiException($"Runtime API {path} returned HTTP {(int)response.StatusCode}: {text}");
        }
    }

    // host:port, then optionally /prefix of unreserved segments; no scheme, user, query or fragment.
    private static Uri BaseUri(string? runtimeApi)
    {
        var slash = runtimeApi?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        var authority = slash < 0 ? runtimeApi : runtimeApi![..slash];
        var prefix = slash < 0 ? string.Empty : runtimeApi![(slash + 1)..].TrimEnd('/');
        var colon = authority?.LastIndexOf(':') ?? -1;
        var valid = authority is not null && colon > 0 && colon > authority.LastIndexOf(']') && IsHost(authority[..colon])
            && ushort.TryParse(authority.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _)
            && Uri.TryCreate($"http://{authority}/", UriKind.Absolute, out var root)
            && root.UserInfo.Length == 0 && root.PathAndQuery == "/" && root.Fragment.Length == 0
            && (prefix.Length == 0 || prefix.Split('/').All(IsPathSegment));
        return valid
            ? new Uri($"http://{authority}/{(prefix.Length == 0 ? string.Empty : prefix + "/")}{Version}/runtime/")
            : throw new RuntimeApiException($"AWS_LAMBDA_RUNTIME_API '{runtimeApi}' is not host:port or host:port/prefix: this executable must run under the Lambda Runtime API (on Lambda, 'sam local', or 'sfn invoke').");
    }

    // A host name or IPv4 address (letters, digits, '-', '.'), or an IPv6 address in brackets: nothing else, so no user
    // information ("@host", which a URL parser reads as an empty user) and nothing a URL parser would reinterpret.
    private static bool IsHost(string host) =>
        host.Length > 0 && (host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')
            || (host.Length > 2 && host[0] == '[' && host[^1] == ']' && host[1..^1].All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')));

    // One path segment of unreserved characters (RFC 3986), not '.' or '..': nothing a URL would resolve or split.
    private static bool IsPathSegment(string segment) =>
        segment.Length is > 0 and <= 256 && segment is not ("." or "..") && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
