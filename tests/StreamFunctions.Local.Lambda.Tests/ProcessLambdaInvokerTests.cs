using System.Text;
using System.Text.Json;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>functions/Echo as a process (its bootstrap apphost) under the local Runtime API server.</summary>
public sealed class ProcessLambdaInvokerTests
{
    [Fact]
    public async Task Invoke_Echo_ReturnsTheEventAndStaysWarm()
    {
        await using var sut = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Echo"), new LocalFunctionOptions { FunctionName = "Echo", Timeout = TimeSpan.FromSeconds(30) });

        var first = await sut.InvokeAsync("{\"hello\":\"world\"}"u8.ToArray());
        var second = await sut.InvokeAsync("[1,2,3]"u8.ToArray());

        Assert.True(first.Succeeded, Encoding.UTF8.GetString(first.Payload.Span));
        Assert.Equal("{\"hello\":\"world\"}", Encoding.UTF8.GetString(first.Payload.Span));
        Assert.Equal("[1,2,3]", Encoding.UTF8.GetString(second.Payload.Span));
        Assert.Equal(1, sut.ColdStarts);
    }

    [Fact]
    public async Task Invoke_EchoAskedToFail_ReturnsTheErrorPayload()
    {
        await using var sut = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Echo"), new LocalFunctionOptions { Timeout = TimeSpan.FromSeconds(30) });

        var result = await sut.InvokeAsync("{\"fail\":\"as requested\"}"u8.ToArray());

        Assert.Equal("Unhandled", result.FunctionError);
        using var error = JsonDocument.Parse(result.Payload);
        Assert.Equal("as requested", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("EchoFailureException", error.RootElement.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task Invoke_FunctionFailsToInitialise_ReportsTheInitError()
    {
        await using var sut = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Echo"), new LocalFunctionOptions
        {
            Timeout = TimeSpan.FromSeconds(30),
            Environment = new Dictionary<string, string> { ["AWS_LAMBDA_LOG_LEVEL"] = "LOUD" },
        });

        var result = await sut.InvokeAsync("{}"u8.ToArray());

        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Contains("AWS_LAMBDA_LOG_LEVEL", Encoding.UTF8.GetString(result.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MissingExecutable_ThrowsNamingIt()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new ProcessLambdaInvoker("/nonexistent/bootstrap"));

        Assert.Contains("/nonexistent/bootstrap", error.Message, StringComparison.Ordinal);
    }
}
