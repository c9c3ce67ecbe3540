using System.Net;
using System.Net.Http.Headers;
using Amazon.Runtime;
using StreamFunctions.Aws.Signing;

namespace StreamFunctions.Aws.Tests.Signing;

public sealed class SigV4SigningHandlerTests
{
    private static readonly DateTimeOffset SigningTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    [Fact]
    public async Task SignAsync_FormPost_MatchesTheTestSuiteVector()
    {
        using var handler = CreateSut(new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://example.amazonaws.com/")
        {
            Content = new ByteArrayContent("Param1=value1"u8.ToArray()),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");

        var signature = await handler.SignAsync(request);

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            Assert.Single(request.Headers.GetValues("Authorization")));
        Assert.Equal("20150830T123600Z", Assert.Single(request.Headers.GetValues("X-Amz-Date")));
        Assert.Equal("content-type;host;x-amz-date", signature.SignedHeaders);
    }

    [Fact]
    public async Task SignAsync_SessionCredentials_SignsTheSecurityTokenLikePostStsHeaderBefore()
    {
        const string token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
        using var handler = CreateSut(new SessionAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token));
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://example.amazonaws.com/");

        var signature = await handler.SignAsync(request);

        Assert.Equal(token, Assert.Single(request.Headers.GetValues("X-Amz-Security-Token")));
        Assert.Equal("85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead", signature.Signature);
    }

    [Fact]
    public async Task SendAsync_SignedTwice_ReplacesTheHeadersInsteadOfAddingThem()
    {
        var inner = new CapturingHandler();
        using var handler = CreateSut(new BasicAWSCredentials("AKIDEXAMPLE", "secret"), inner);
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:4567/") { Content = new ByteArrayContent([1, 2, 3]) };
        await handler.SignAsync(request);

        using var response = await client.SendAsync(request);

        var sent = Assert.Single(inner.Requests);
        Assert.Single(sent.Headers.GetValues("Authorization"));
        Assert.Single(sent.Headers.GetValues("X-Amz-Date"));
        Assert.Contains("SignedHeaders=host;x-amz-date", Assert.Single(sent.Headers.GetValues("Authorization")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_RelativeUri_ThrowsNamingTheUri()
    {
        using var handler = CreateSut(new BasicAWSCredentials("a", "b"));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/x", UriKind.Relative));

        var error = await Assert.ThrowsAsync<ArgumentException>(() => handler.SignAsync(request));

        Assert.Contains("/x", error.Message, StringComparison.Ordinal);
    }

    private static SigV4SigningHandler CreateSut(AWSCredentials credentials, HttpMessageHandler? inner = null) =>
        new(credentials, new SigV4Scope("us-east-1", "service"), new FixedTime(SigningTime), inner ?? new CapturingHandler());

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
