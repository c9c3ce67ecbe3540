using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using StreamFunctions.Aws.Signing;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Aws;

/// <summary>Lambda's Invoke API refused or failed the call (not the function: that is a <see cref="LambdaInvocationResult.FunctionError"/>).</summary>
/// <param name="statusCode">The HTTP status.</param>
/// <param name="errorType">The error type (<c>x-amzn-ErrorType</c>), e.g. <c>TooManyRequestsException</c>.</param>
/// <param name="message">The message.</param>
public sealed class LambdaInvokeException(int statusCode, string errorType, string message)
    : Exception($"Lambda Invoke failed with {statusCode} {errorType}: {message}")
{
    /// <summary>The HTTP status.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The error type.</summary>
    public string ErrorType { get; } = errorType;

    /// <summary>Whether trying again may succeed (throttling, service errors).</summary>
    public bool IsRetryable => StatusCode is 429 or >= 500;
}

/// <summary>
/// Invokes a deployed function synchronously through Lambda's Invoke API
/// (<c>POST /2015-03-31/functions/{name}/invocations</c>, <c>X-Amz-Invocation-Type: RequestResponse</c>),
/// signed with SigV4. The endpoint follows <c>AWS_ENDPOINT_URL_LAMBDA</c> / <c>AWS_ENDPOINT_URL</c>, so it
/// works against AWS, LocalStack and local stand-ins alike.
/// </summary>
public sealed class LambdaInvokeClient : ILambdaInvoker, IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly Uri _invocations;

    /// <summary>Creates the client.</summary>
    /// <param name="settings">Endpoints, region and credentials.</param>
    /// <param name="functionName">The function's name, ARN or partial ARN, with an optional <c>:qualifier</c>.</param>
    /// <param name="timeout">How long to wait for the function (its own timeout plus some).</param>
    public LambdaInvokeClient(AwsSettings settings, string functionName, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(functionName);
        var endpoint = settings.GetEndpoint(AwsService.Lambda) ?? new Uri($"https://lambda.{settings.Region}.amazonaws.com");
        var (name, qualifier) = functionName.Count(c => c == ':') is 1 or 3 or 7
            ? (functionName[..functionName.LastIndexOf(':')], functionName[(functionName.LastIndexOf(':') + 1)..])
            : (functionName, null);
        _invocations = new Uri(endpoint, $"2015-03-31/functions/{Uri.EscapeDataString(name)}/invocations" + (qualifier is null ? string.Empty : "?Qualifier=" + Uri.EscapeDataString(qualifier)));
        _http = new HttpClient(new SigV4SigningHandler(settings.CredentialsFor(AwsService.Lambda), new SigV4Scope(settings.Region, "lambda")), disposeHandler: true)
        {
            Timeout = timeout ?? TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(30),
        };
        FunctionName = functionName;
    }

    /// <summary>The function invoked.</summary>
    public string FunctionName { get; }

    /// <inheritdoc />
    /// <exception cref="LambdaInvokeException">Invoke refused the call (throttled, too large, not found, service error).</exception>
    public async Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _invocations)
        {
            Content = new ReadOnlyMemoryContent(payload) { Headers = { ContentType = Json } },
        };
        request.Headers.Add("X-Amz-Invocation-Type", "RequestResponse");
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var requestId = Header(response, "x-amzn-RequestId") ?? string.Empty;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var type = Header(response, "x-amzn-ErrorType")?.Split(':')[0] ?? response.StatusCode.ToString();
            throw new LambdaInvokeException((int)response.StatusCode, type, System.Text.Encoding.UTF8.GetString(body));
        }

        return new LambdaInvocationResult(
            (int)response.StatusCode,
            body,
            Header(response, "X-Amz-Function-Error"),
            requestId,
            Header(response, "X-Amz-Executed-Version") ?? "$LATEST");
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(',', values) : null;

    /// <summary>The invocation URL (for diagnostics).</summary>
    /// <returns>The URL.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{_invocations}");
}
