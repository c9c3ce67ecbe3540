using System.Security.Cryptography;
using System.Text;
using StreamFunctions.Lambda.Events.ApiGateway;

namespace StreamFunctions.Gateway.Tests;

public sealed class GatewayAuthorizerTests
{
    private static APIGatewayHttpApiV2ProxyRequest Request(APIGatewayHttpApiV2ProxyRequest.AuthorizerDescription? authorizer = null, string? apiKey = null) => new()
    {
        Headers = apiKey is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["x-api-key"] = apiKey },
        RequestContext = new APIGatewayHttpApiV2ProxyRequest.ProxyRequestContext { Authorizer = authorizer },
    };

    [Fact]
    public void Parse_NoMode_IsIamAndAnUnsignedRequestIsRefused()
    {
        var authorizer = GatewayAuthorizer.Parse(null, null, null);

        Assert.Equal(GatewayAuthMode.Iam, authorizer.Mode);
        Assert.Equal(403, authorizer.Check(Request())!.Value.StatusCode);
        Assert.Null(authorizer.Check(Request(new() { Iam = new() { UserArn = "arn:aws:iam::123456789012:user/p", AccessKey = "AKIA" } })));
    }

    [Fact]
    public void Parse_OpenOrUnknownMode_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => GatewayAuthorizer.Parse("none", null, null));
        Assert.Throws<ArgumentException>(() => GatewayAuthorizer.Parse("apikey", null, null));
    }

    [Fact]
    public void Check_Jwt_NeedsClaimsAndTheRequiredScopes()
    {
        var authorizer = GatewayAuthorizer.Parse("jwt", null, "records:write");

        Assert.Equal(401, authorizer.Check(Request())!.Value.StatusCode);
        Assert.Equal(403, authorizer.Check(Request(new() { Jwt = new() { Claims = new Dictionary<string, string> { ["sub"] = "u", ["scope"] = "records:read" } } }))!.Value.StatusCode);
        Assert.Null(authorizer.Check(Request(new() { Jwt = new() { Claims = new Dictionary<string, string> { ["sub"] = "u", ["scope"] = "records:read records:write" } } })));
        Assert.Null(authorizer.Check(Request(new() { Jwt = new() { Claims = new Dictionary<string, string> { ["sub"] = "u" }, Scopes = ["records:write"] } })));
    }

    [Fact]
    public void Check_ApiKey_AcceptsOnlyKeysWhoseHashIsConfigured()
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("s3cret")));
        var authorizer = GatewayAuthorizer.Parse("apikey", "  " + hash + " ,", null);

        Assert.Equal(401, authorizer.Check(Request())!.Value.StatusCode);
        Assert.Equal(403, authorizer.Check(Request(apiKey: "guess"))!.Value.StatusCode);
        Assert.Null(authorizer.Check(Request(apiKey: "s3cret")));
    }
}
