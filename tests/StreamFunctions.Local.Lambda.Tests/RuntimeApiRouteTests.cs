namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>The Runtime API's routes under the function's prefix, read as sent.</summary>
public sealed class RuntimeApiRouteTests
{
    private const string Prefix = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("GET", "/" + Prefix + "/2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.Next, null)]
    [InlineData("GET", "/" + Prefix + "/2018-06-01/runtime/invocation/next?x=1", RuntimeApiRouteKind.Next, null)]
    [InlineData("POST", "/" + Prefix + "/2018-06-01/runtime/invocation/abc-1/response", RuntimeApiRouteKind.Response, "abc-1")]
    [InlineData("POST", "/" + Prefix + "/2018-06-01/runtime/invocation/abc-1/error", RuntimeApiRouteKind.Error, "abc-1")]
    [InlineData("POST", "/" + Prefix + "/2018-06-01/runtime/init/error", RuntimeApiRouteKind.InitError, null)]
    [InlineData("POST", "/" + Prefix + "/2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.NotFound, null)]
    [InlineData("GET", "/" + Prefix + "/2018-06-01/runtime/invocation/abc-1/response", RuntimeApiRouteKind.NotFound, null)]
    [InlineData("POST", "/" + Prefix + "/2018-06-01/runtime/invocation//response", RuntimeApiRouteKind.NotFound, null)]
    [InlineData("POST", "/" + Prefix + "/2018-06-01/runtime/invocation/a/b/response", RuntimeApiRouteKind.NotFound, null)]
    [InlineData("GET", "/" + Prefix + "/x/../2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.NotFound, null)]
    [InlineData("GET", "/" + Prefix, RuntimeApiRouteKind.Forbidden, null)]
    [InlineData("GET", "/2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.Forbidden, null)]
    [InlineData("GET", "/x/../" + Prefix + "/2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.Forbidden, null)]
    [InlineData("GET", "/0123456789ABCDEF0123456789ABCDEF/2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.Forbidden, null)]
    [InlineData("GET", "/0123456789abcdef0123456789abcdeF/2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.Forbidden, null)]
    [InlineData("GET", "//" + Prefix + "/2018-06-01/runtime/invocation/next", RuntimeApiRouteKind.Forbidden, null)]
    [InlineData("GET", "", RuntimeApiRouteKind.Forbidden, null)]
    public void Parse_RequestTarget_Route(string method, string target, RuntimeApiRouteKind kind, string? requestId)
    {
        Assert.Equal(new RuntimeApiRoute(kind, requestId), RuntimeApiRoute.Parse(method, target, System.Text.Encoding.ASCII.GetBytes(Prefix)));
    }

    [Fact]
    public void Parse_NoPrefixConfigured_EverythingForbidden()
    {
        Assert.Equal(RuntimeApiRouteKind.Forbidden, RuntimeApiRoute.Parse("GET", "//2018-06-01/runtime/invocation/next", []).Kind);
    }
}
