using System.Security.Cryptography;
using System.Text;

namespace StreamFunctions.Local.Lambda;

/// <summary>What a request to the local Runtime API asks for.</summary>
public enum RuntimeApiRouteKind
{
    /// <summary>The request does not start with the function's path prefix: refused (403), whatever it asks.</summary>
    Forbidden,

    /// <summary>No such route under the prefix (404).</summary>
    NotFound,

    /// <summary><c>GET invocation/next</c>.</summary>
    Next,

    /// <summary><c>POST invocation/{id}/response</c>.</summary>
    Response,

    /// <summary><c>POST invocation/{id}/error</c>.</summary>
    Error,

    /// <summary><c>POST init/error</c>.</summary>
    InitError,
}

/// <summary>
/// A request target of the local Runtime API, read as sent (not unescaped, not normalized: <c>%2E%2E</c> and
/// <c>..</c> are just text that matches nothing): <c>/{prefix}/2018-06-01/runtime/…</c>, where the prefix is the
/// function's secret, compared in constant time.
/// </summary>
/// <param name="Kind">What it asks for.</param>
/// <param name="RequestId">The invocation, for <see cref="RuntimeApiRouteKind.Response"/> and <see cref="RuntimeApiRouteKind.Error"/>.</param>
public readonly record struct RuntimeApiRoute(RuntimeApiRouteKind Kind, string? RequestId = null)
{
    private const string Version = "/2018-06-01/runtime/";

    /// <summary>Reads a request.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="rawTarget">The request target as sent (path and query).</param>
    /// <param name="prefix">The function's path prefix (without slashes), as ASCII bytes.</param>
    /// <returns>The route; <see cref="RuntimeApiRouteKind.Forbidden"/> unless the target's first segment is the prefix.</returns>
    public static RuntimeApiRoute Parse(string method, string rawTarget, ReadOnlySpan<byte> prefix)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(rawTarget);
        var question = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? rawTarget : rawTarget[..question];
        var end = path.Length > 1 ? path.IndexOf('/', 1) : -1;
        if (prefix.IsEmpty || !path.StartsWith('/') || end < 0 || !SamePrefix(path.AsSpan(1, end - 1), prefix))
        {
            return new RuntimeApiRoute(RuntimeApiRouteKind.Forbidden);
        }

        var route = path.AsSpan(end);
        if (!route.StartsWith(Version, StringComparison.Ordinal))
        {
            return new RuntimeApiRoute(RuntimeApiRouteKind.NotFound);
        }

        route = route[Version.Length..];
        if (route.SequenceEqual("invocation/next"))
        {
            return new RuntimeApiRoute(method == "GET" ? RuntimeApiRouteKind.Next : RuntimeApiRouteKind.NotFound);
        }

        if (route.SequenceEqual("init/error"))
        {
            return new RuntimeApiRoute(method == "POST" ? RuntimeApiRouteKind.InitError : RuntimeApiRouteKind.NotFound);
        }

        // invocation/{id}/response or invocation/{id}/error, the id one non-empty segment.
        if (method != "POST" || !route.StartsWith("invocation/", StringComparison.Ordinal))
        {
            return new RuntimeApiRoute(RuntimeApiRouteKind.NotFound);
        }

        var rest = route["invocation/".Length..];
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return new RuntimeApiRoute(RuntimeApiRouteKind.NotFound);
        }

        var id = rest[..slash].ToString();
        return rest[(slash + 1)..] switch
        {
            "response" => new RuntimeApiRoute(RuntimeApiRouteKind.Response, id),
            "error" => new RuntimeApiRoute(RuntimeApiRouteKind.Error, id),
            _ => new RuntimeApiRoute(RuntimeApiRouteKind.NotFound),
        };
    }

    // Constant time over the prefix's length: what a wrong guess costs does not tell how much of it was right.
    // (A character that is not ASCII becomes '?', which no prefix holds.)
    private static bool SamePrefix(ReadOnlySpan<char> segment, ReadOnlySpan<byte> prefix)
    {
        if (segment.Length != prefix.Length || segment.Length > 256)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[segment.Length];
        Encoding.ASCII.GetBytes(segment, bytes);
        return CryptographicOperations.FixedTimeEquals(bytes, prefix);
    }
}
