using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace StreamFunctions.Aws.Signing;

/// <summary>
/// AWS Signature Version 4 (header form), as specified in "Create a signed AWS API request":
/// canonical request, string to sign, derived signing key, <c>Authorization</c> header.
/// Verified against AWS's published SigV4 test suite.
/// </summary>
public static class SigV4Signer
{
    /// <summary>The signing algorithm name.</summary>
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The <c>x-amz-date</c> format: ISO 8601 basic, UTC.</summary>
    public const string AmzDateFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>The lowercase hex SHA-256 of an empty body.</summary>
    public const string EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>Signs a request.</summary>
    /// <param name="request">What to sign; its headers must include <c>host</c> and <c>x-amz-date</c>.</param>
    /// <param name="scope">Region, service and path rules.</param>
    /// <param name="accessKeyId">The access key id.</param>
    /// <param name="secretAccessKey">The secret access key.</param>
    /// <param name="signingTime">The time in the request's <c>x-amz-date</c> header.</param>
    /// <returns>The <c>Authorization</c> header and the strings it was computed from.</returns>
    public static SigV4Signature Sign(
        SigV4Request request,
        SigV4Scope scope,
        string accessKeyId,
        string secretAccessKey,
        DateTimeOffset signingTime)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrEmpty(accessKeyId);
        ArgumentException.ThrowIfNullOrEmpty(secretAccessKey);

        var (canonicalRequest, signedHeaders) = CanonicalRequest(request, scope.NormalizePath);
        var utc = signingTime.ToUniversalTime();
        var date = utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var credentialScope = $"{date}/{scope.Region}/{scope.Service}/aws4_request";
        var stringToSign = string.Join(
            '\n',
            Algorithm,
            utc.ToString(AmzDateFormat, CultureInfo.InvariantCulture),
            credentialScope,
            HexSha256(Encoding.UTF8.GetBytes(canonicalRequest)));

        var key = SigningKey(secretAccessKey, date, scope.Region, scope.Service);
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        var authorization = $"{Algorithm} Credential={accessKeyId}/{credentialScope}, SignedHeaders={signedHeaders}, Signature={signature}";
        return new SigV4Signature(authorization, canonicalRequest, stringToSign, signature, signedHeaders);
    }

    /// <summary>Derives the signing key: HMAC chain over date, region, service and <c>aws4_request</c>.</summary>
    /// <param name="secretAccessKey">The secret access key.</param>
    /// <param name="date">The scope date, <c>yyyyMMdd</c>.</param>
    /// <param name="region">The signing region.</param>
    /// <param name="service">The signing service name.</param>
    /// <returns>The 32-byte key.</returns>
    public static byte[] SigningKey(string secretAccessKey, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    /// <summary>The lowercase hex SHA-256 of a payload.</summary>
    /// <param name="payload">The bytes.</param>
    /// <returns>64 lowercase hex digits.</returns>
    public static string HexSha256(ReadOnlySpan<byte> payload)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(payload, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Builds the canonical request and the signed-headers list.</summary>
    /// <param name="request">The request.</param>
    /// <param name="normalizePath">Whether to normalise the path (every service but S3).</param>
    /// <returns>The canonical request and the signed headers.</returns>
    public static (string CanonicalRequest, string SignedHeaders) CanonicalRequest(SigV4Request request, bool normalizePath)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = CanonicalHeaders(request.Headers);
        if (!headers.ContainsKey("host"))
        {
            throw new ArgumentException("A SigV4 request must sign the host header.", nameof(request));
        }

        var signedHeaders = string.Join(';', headers.Keys);
        var builder = new StringBuilder(256);
        builder.Append(request.Method.ToUpperInvariant()).Append('\n');
        builder.Append(CanonicalUri(request.Path, normalizePath)).Append('\n');
        builder.Append(CanonicalQuery(request.Query)).Append('\n');
        foreach (var (name, value) in headers)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        builder.Append('\n').Append(signedHeaders).Append('\n').Append(request.PayloadHash);
        return (builder.ToString(), signedHeaders);
    }

    /// <summary>The canonical URI: the path normalised (optionally) and URI-encoded once, '/' kept.</summary>
    /// <param name="path">The path to encode.</param>
    /// <param name="normalize">Remove '.' and '..' segments and empty segments.</param>
    /// <returns>The canonical URI, at least "/".</returns>
    public static string CanonicalUri(string path, bool normalize)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return "/";
        }

        if (normalize)
        {
            path = NormalizePath(path);
        }

        var canonical = string.Join('/', path.Split('/').Select(UriEncode));
        return canonical.StartsWith('/') ? canonical : "/" + canonical;
    }

    /// <summary>The canonical query string: each name and value URI-encoded, sorted by name then value.</summary>
    /// <param name="query">The decoded parameters.</param>
    /// <returns>The canonical query string (empty when there are none).</returns>
    public static string CanonicalQuery(IReadOnlyList<KeyValuePair<string, string>> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Count == 0)
        {
            return string.Empty;
        }

        var encoded = new List<(string Key, string Value)>(query.Count);
        foreach (var (key, value) in query)
        {
            encoded.Add((UriEncode(key), UriEncode(value)));
        }

        encoded.Sort(static (a, b) =>
        {
            var byKey = string.CompareOrdinal(a.Key, b.Key);
            return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', encoded.Select(static p => p.Key + "=" + p.Value));
    }

    /// <summary>URI-encodes as SigV4 requires: every byte but A-Z a-z 0-9 - _ . ~ as %XX (uppercase hex) of its UTF-8.</summary>
    /// <param name="value">The text.</param>
    /// <returns>The encoded text.</returns>
    public static string UriEncode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 8);
        UriEncode(builder, value);
        return builder.ToString();
    }

    private static void UriEncode(StringBuilder builder, string value)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '~')
            {
                builder.Append(c);
                continue;
            }

            var length = char.IsHighSurrogate(c) && i + 1 < value.Length
                ? Encoding.UTF8.GetBytes(value.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            for (var b = 0; b < length; b++)
            {
                builder.Append('%').Append(utf8[b].ToString("X2", CultureInfo.InvariantCulture));
            }
        }
    }

    private static string NormalizePath(string path)
    {
        var output = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            switch (segment)
            {
                case "" or ".":
                    break;
                case "..":
                    if (output.Count > 0)
                    {
                        output.RemoveAt(output.Count - 1);
                    }

                    break;
                default:
                    output.Add(segment);
                    break;
            }
        }

        var trailing = path.Length > 1 && (path.EndsWith('/') || path.EndsWith("/.", StringComparison.Ordinal) || path.EndsWith("/..", StringComparison.Ordinal));
        var normalized = "/" + string.Join('/', output);
        return trailing && output.Count > 0 ? normalized + "/" : normalized;
    }

    private static SortedDictionary<string, string> CanonicalHeaders(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var key = name.Trim().ToLowerInvariant();
            var trimmed = TrimAll(value);
            result[key] = result.TryGetValue(key, out var existing) ? existing + "," + trimmed : trimmed;
        }

        return result;
    }

    // "Trimall": strip leading and trailing whitespace, collapse runs of whitespace to one space.
    private static string TrimAll(string value)
    {
        var builder = new StringBuilder(value.Length);
        var pendingSpace = false;
        foreach (var c in value)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
