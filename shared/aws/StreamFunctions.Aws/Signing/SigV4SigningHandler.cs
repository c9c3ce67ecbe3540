using System.Globalization;
using System.Net.Http.Headers;
using Amazon.Runtime;

namespace StreamFunctions.Aws.Signing;

/// <summary>
/// An <see cref="HttpClient"/> handler that signs every outgoing request with SigV4: it sets
/// <c>X-Amz-Date</c> (and <c>X-Amz-Security-Token</c> for temporary credentials), hashes the
/// body, signs <c>host</c>, <c>content-type</c> and every <c>x-amz-*</c> header, and adds
/// <c>Authorization</c>. Credentials are fetched per request, so refreshing credentials
/// (container, IMDS, web identity) rotate without a new client.
/// </summary>
public sealed class SigV4SigningHandler : DelegatingHandler
{
    private readonly AWSCredentials _credentials;
    private readonly SigV4Scope _scope;
    private readonly TimeProvider _time;

    /// <summary>Creates the handler.</summary>
    /// <param name="credentials">Where credentials come from (e.g. <see cref="AwsSettings.CredentialsFor"/>).</param>
    /// <param name="scope">The signing region and service.</param>
    /// <param name="time">The clock for <c>X-Amz-Date</c>.</param>
    /// <param name="innerHandler">The handler that sends the request; a new <see cref="SocketsHttpHandler"/> when null.</param>
    public SigV4SigningHandler(AWSCredentials credentials, SigV4Scope scope, TimeProvider? time = null, HttpMessageHandler? innerHandler = null)
        : base(innerHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(scope);
        _credentials = credentials;
        _scope = scope;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await SignAsync(request, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Signs a request in place (used by the handler; public for callers with their own pipeline).</summary>
    /// <param name="request">The request; its URI must be absolute.</param>
    /// <param name="cancellationToken">Cancels reading the body or fetching credentials.</param>
    /// <returns>The signature that was applied.</returns>
    public async Task<SigV4Signature> SignAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        if (!uri.IsAbsoluteUri)
        {
            throw new ArgumentException($"The request URI '{uri}' must be absolute to be signed.", nameof(request));
        }

        var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false);
        var body = request.Content is null
            ? []
            : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();

        request.Headers.Remove("X-Amz-Date");
        request.Headers.Remove("X-Amz-Security-Token");
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", now.ToString(SigV4Signer.AmzDateFormat, CultureInfo.InvariantCulture));
        if (credentials.UseToken)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", credentials.Token);
        }

        var payloadHash = SigV4Signer.HexSha256(body);
        if (!_scope.NormalizePath)
        {
            // S3 requires the payload hash as a header as well.
            request.Headers.Remove("x-amz-content-sha256");
            request.Headers.TryAddWithoutValidation("x-amz-content-sha256", payloadHash);
        }

        var headers = new List<KeyValuePair<string, string>>
        {
            new("host", request.Headers.Host ?? uri.Authority),
        };
        AddSigned(headers, request.Headers);
        if (request.Content is not null)
        {
            AddSigned(headers, request.Content.Headers);
        }

        var path = _scope.NormalizePath ? uri.AbsolutePath : Uri.UnescapeDataString(uri.AbsolutePath);
        var signature = SigV4Signer.Sign(
            new SigV4Request(request.Method.Method, path, ParseQuery(uri.Query), headers, payloadHash),
            _scope,
            credentials.AccessKey,
            credentials.SecretKey,
            now);
        request.Headers.TryAddWithoutValidation("Authorization", signature.Authorization);
        return signature;
    }

    private static void AddSigned(List<KeyValuePair<string, string>> signed, HttpHeaders headers)
    {
        foreach (var (name, values) in headers.NonValidated)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var value in values)
                {
                    signed.Add(new(name, value));
                }
            }
        }
    }

    private static List<KeyValuePair<string, string>> ParseQuery(string query)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (query.Length <= 1)
        {
            return result;
        }

        foreach (var pair in query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            result.Add(equals < 0
                ? new(Uri.UnescapeDataString(pair), string.Empty)
                : new(Uri.UnescapeDataString(pair[..equals]), Uri.UnescapeDataString(pair[(equals + 1)..])));
        }

        return result;
    }
}
