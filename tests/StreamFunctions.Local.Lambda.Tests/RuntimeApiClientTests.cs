using System.Net;
using StreamFunctions.Lambda.Exceptions;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>The Runtime API client builds every URL under AWS_LAMBDA_RUNTIME_API: host:port, or host:port and a path prefix.</summary>
public sealed class RuntimeApiClientTests
{
    [Theory]
    [InlineData("127.0.0.1:9001", "http://127.0.0.1:9001/2018-06-01/runtime/")]
    [InlineData("localhost:9001/0123abcd", "http://localhost:9001/0123abcd/2018-06-01/runtime/")]
    [InlineData("127.0.0.1:9001/a/b-c_d/", "http://127.0.0.1:9001/a/b-c_d/2018-06-01/runtime/")]
    public async Task Calls_UnderTheGivenHostPortAndPrefix(string runtimeApi, string root)
    {
        using var handler = new RecordingHandler();
        using var http = new HttpClient(handler);
        var sut = new RuntimeApiClient(http, runtimeApi);

        var invocation = await sut.NextAsync();
        await sut.ResponseAsync(invocation.RequestId, "{}"u8.ToArray());
        await sut.ErrorAsync(invocation.RequestId, new LambdaError("E", "m", []));
        await sut.InitErrorAsync(new LambdaError("E", "m", []));

        Assert.Equal(
            [root + "invocation/next", root + "invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response", root + "invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/error", root + "init/error"],
            handler.Uris);
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://127.0.0.1:9001")]
    [InlineData("127.0.0.1:9001?x=1")]
    [InlineData("127.0.0.1:9001#x")]
    [InlineData("user@127.0.0.1:9001")]
    [InlineData("@127.0.0.1:9001")]
    [InlineData("127.0.0.1 :9001")]
    [InlineData("[zz]:9001")]
    [InlineData("127.0.0.1:9001/../x")]
    [InlineData("127.0.0.1:9001/a b")]
    [InlineData("127.0.0.1:9001/a%2Fb")]
    [InlineData("127.0.0.1")]
    public void Create_NotHostPortWithAnOptionalPrefix_ThrowsNamingTheVariable(string runtimeApi)
    {
        using var http = new HttpClient();

        var error = Assert.Throws<RuntimeApiException>(() => new RuntimeApiClient(http, runtimeApi));

        Assert.Contains("AWS_LAMBDA_RUNTIME_API", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../../init")]
    [InlineData("a/b")]
    [InlineData("a?b")]
    [InlineData("")]
    public async Task Next_RequestIdThatWouldLeaveItsPath_Refused(string requestId)
    {
        using var handler = new RecordingHandler(requestId);
        using var http = new HttpClient(handler);
        var sut = new RuntimeApiClient(http, "127.0.0.1:9001/prefix");

        var error = await Assert.ThrowsAsync<RuntimeApiException>(() => sut.NextAsync());

        Assert.Contains("Lambda-Runtime-Aws-Request-Id", error.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingHandler(string requestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd") : HttpMessageHandler
    {
        public List<string> Uris { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Uris.Add(request.RequestUri!.AbsoluteUri);
            var response = new HttpResponseMessage(request.Method == HttpMethod.Get ? HttpStatusCode.OK : HttpStatusCode.Accepted) { Content = new StringContent("{}") };
            response.Headers.TryAddWithoutValidation("Lambda-Runtime-Aws-Request-Id", requestId);
            response.Headers.TryAddWithoutValidation("Lambda-Runtime-Deadline-Ms", "1542409706888");
            return Task.FromResult(response);
        }
    }
}
