using System.Security.Cryptography;
using System.Text;
using StreamFunctions.Lambda.Events.ApiGateway;

namespace StreamFunctions.Gateway;

/// <summary>How callers prove who they are. There is no open mode.</summary>
public enum GatewayAuthMode
{
    /// <summary>SigV4 (IAM): the Function URL or HTTP API route uses <c>AWS_IAM</c>; the request must carry the IAM identity it verified.</summary>
    Iam,

    /// <summary>A JWT authorizer on the HTTP API; the request must carry verified claims (and the required scopes).</summary>
    Jwt,

    /// <summary>An API key in the <c>x-api-key</c> header, checked here against SHA-256 hashes of the accepted keys.</summary>
    ApiKey,
}

/// <summary>
/// Checks that a request was authorized the way the gateway is configured. With IAM and JWT the
/// authorization itself is done by the Function URL or API Gateway before the function runs; this check
/// makes sure it really was (a route or URL deployed without an authorizer fails closed instead of being
/// open). API keys are checked here, in constant time, against hashes (the keys themselves are never stored
/// in the configuration).
/// </summary>
public sealed class GatewayAuthorizer
{
    private readonly GatewayAuthMode _mode;
    private readonly IReadOnlyList<byte[]> _keyHashes;
    private readonly IReadOnlyList<string> _scopes;

    /// <summary>Creates the authorizer.</summary>
    /// <param name="mode">The mode.</param>
    /// <param name="apiKeySha256">For <see cref="GatewayAuthMode.ApiKey"/>: the accepted keys' SHA-256 hashes, hex.</param>
    /// <param name="requiredScopes">For <see cref="GatewayAuthMode.Jwt"/>: scopes every caller must have.</param>
    public GatewayAuthorizer(GatewayAuthMode mode, IEnumerable<string>? apiKeySha256 = null, IEnumerable<string>? requiredScopes = null)
    {
        _mode = mode;
        _keyHashes = [.. (apiKeySha256 ?? []).Where(h => h.Length > 0).Select(h => Convert.FromHexString(h.Trim()))];
        _scopes = [.. requiredScopes ?? []];
        if (mode == GatewayAuthMode.ApiKey && _keyHashes.Count == 0)
        {
            throw new ArgumentException("API-key auth needs at least one accepted key hash (GATEWAY_API_KEY_SHA256).", nameof(apiKeySha256));
        }

        if (_keyHashes.Any(h => h.Length != SHA256.HashSizeInBytes))
        {
            throw new ArgumentException("An API key hash must be 64 hex digits (SHA-256).", nameof(apiKeySha256));
        }
    }

    /// <summary>The mode.</summary>
    public GatewayAuthMode Mode => _mode;

    /// <summary>Reads the mode: <c>iam</c> (the default), <c>jwt</c> or <c>apikey</c>.</summary>
    /// <param name="mode">The configured value, or null.</param>
    /// <param name="apiKeySha256">Comma-separated key hashes.</param>
    /// <param name="requiredScopes">Comma- or space-separated scopes.</param>
    /// <returns>The authorizer.</returns>
    public static GatewayAuthorizer Parse(string? mode, string? apiKeySha256, string? requiredScopes) => new(
        (mode ?? "iam").Trim().ToLowerInvariant() switch
        {
            "" or "iam" or "aws_iam" => GatewayAuthMode.Iam,
            "jwt" => GatewayAuthMode.Jwt,
            "apikey" or "api_key" or "api-key" => GatewayAuthMode.ApiKey,
            _ => throw new ArgumentException($"Unknown gateway auth mode '{mode}': use iam, jwt or apikey (there is no open mode)."),
        },
        apiKeySha256?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        requiredScopes?.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Checks a request.</summary>
    /// <param name="request">The request.</param>
    /// <returns>Null when allowed; otherwise the status (401 or 403) and why.</returns>
    public (int StatusCode, string Message)? Check(APIGatewayHttpApiV2ProxyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorizer = request.RequestContext?.Authorizer;
        switch (_mode)
        {
            case GatewayAuthMode.Iam:
                return authorizer?.Iam is { } iam && (iam.UserArn is { Length: > 0 } || iam.AccessKey is { Length: > 0 })
                    ? null
                    : (403, "This gateway requires IAM (SigV4) authorization, and the request carries no verified IAM identity: sign it, and deploy the URL or route with AWS_IAM.");
            case GatewayAuthMode.Jwt:
                if (authorizer?.Jwt?.Claims is not { Count: > 0 } claims)
                {
                    return (401, "This gateway requires a JWT authorizer, and the request carries no verified claims.");
                }

                var granted = new HashSet<string>(authorizer.Jwt.Scopes ?? [], StringComparer.Ordinal);
                if (claims.TryGetValue("scope", out var scope))
                {
                    granted.UnionWith(scope.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                }

                var missing = _scopes.Where(s => !granted.Contains(s)).ToList();
                return missing.Count == 0 ? null : (403, $"The token lacks the scope(s) {string.Join(", ", missing)}.");
            default:
                string? key = null;
                request.Headers?.TryGetValue("x-api-key", out key);
                if (string.IsNullOrEmpty(key))
                {
                    return (401, "This gateway requires an API key in the x-api-key header.");
                }

                var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
                var accepted = false;
                foreach (var candidate in _keyHashes)
                {
                    accepted |= CryptographicOperations.FixedTimeEquals(hash, candidate);
                }

                return accepted ? null : (403, "The API key is not accepted.");
        }
    }
}
