using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Local.Lambda.Tests;

public sealed class InProcessLambdaInvokerTests
{
    [Fact]
    public async Task Invoke_Handler_ReturnsItsResponseWithContextFromTheRuntimeHeaders()
    {
        ILambdaContext? seen = null;
        await using var sut = new InProcessLambdaInvoker((payload, context, _) =>
        {
            seen = context;
            return ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("{\"got\":" + Encoding.UTF8.GetString(payload.Span) + "}"));
        }, new LocalFunctionOptions { FunctionName = "echo", Timeout = TimeSpan.FromSeconds(5) });

        var result = await sut.InvokeAsync("{\"a\":1}"u8.ToArray());

        Assert.True(result.Succeeded);
        Assert.Equal("{\"got\":{\"a\":1}}", Encoding.UTF8.GetString(result.Payload.Span));
        Assert.Equal(result.RequestId, seen!.AwsRequestId);
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:echo", seen.InvokedFunctionArn);
        Assert.InRange(seen.RemainingTime, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
        Assert.StartsWith("Root=1-", seen.TraceId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_HandlerThrows_ReturnsUnhandledErrorInAwsFormatAndKeepsServing()
    {
        var calls = 0;
        await using var sut = new InProcessLambdaInvoker((payload, _, _) =>
            ++calls == 1 ? throw new InvalidOperationException("boom") : ValueTask.FromResult(payload));

        var failed = await sut.InvokeAsync("{}"u8.ToArray());
        var next = await sut.InvokeAsync("{\"ok\":true}"u8.ToArray());

        Assert.Equal("Unhandled", failed.FunctionError);
        using var error = JsonDocument.Parse(failed.Payload);
        Assert.Equal("boom", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("InvalidOperationException", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(JsonValueKind.Array, error.RootElement.GetProperty("stackTrace").ValueKind);
        Assert.True(next.Succeeded);
    }

    [Fact]
    public async Task Invoke_HandlerSlowerThanTheTimeout_FailsWithLambdasTimeoutMessage()
    {
        await using var sut = new InProcessLambdaInvoker(async (payload, _, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            return payload;
        }, new LocalFunctionOptions { Timeout = TimeSpan.FromMilliseconds(300) });

        var result = await sut.InvokeAsync("{}"u8.ToArray());

        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Contains("Task timed out after 0.30 seconds", Encoding.UTF8.GetString(result.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_RequestOverSixMegabytes_RejectedWithoutReachingTheFunction()
    {
        var calls = 0;
        await using var sut = new InProcessLambdaInvoker((payload, _, _) =>
        {
            calls++;
            return ValueTask.FromResult(payload);
        });

        var result = await sut.InvokeAsync(new byte[LocalRuntimeApiServer.MaxPayloadBytes + 1]);

        Assert.Equal(413, result.StatusCode);
        Assert.Contains("RequestEntityTooLargeException", Encoding.UTF8.GetString(result.Payload.Span), StringComparison.Ordinal);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Invoke_ResponseOverSixMegabytes_FailsLikeLambda()
    {
        await using var sut = new InProcessLambdaInvoker((_, _, _) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>>(new byte[LocalRuntimeApiServer.MaxPayloadBytes + 1]));

        var result = await sut.InvokeAsync("{}"u8.ToArray());

        Assert.Equal("Unhandled", result.FunctionError);
        Assert.Contains("Function.ResponseSizeTooLarge", Encoding.UTF8.GetString(result.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logger_JsonFormat_WritesOneObjectPerLineWithTheRequestId()
    {
        using var logs = new StringWriter();
        await using var sut = new InProcessLambdaInvoker((payload, context, _) =>
        {
            context.Logger.Info("hello", new KeyValuePair<string, object?>("records", 3));
            context.Logger.Debug("dropped below INFO");
            return ValueTask.FromResult(payload);
        }, new LocalFunctionOptions { Environment = new Dictionary<string, string> { ["AWS_LAMBDA_LOG_FORMAT"] = "JSON" } }, logs);

        var result = await sut.InvokeAsync("{}"u8.ToArray());

        var line = Assert.Single(logs.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        Assert.Equal("INFO", json.RootElement.GetProperty("level").GetString());
        Assert.Equal("hello", json.RootElement.GetProperty("message").GetString());
        Assert.Equal(result.RequestId, json.RootElement.GetProperty("requestId").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("records").GetInt32());
    }
}
