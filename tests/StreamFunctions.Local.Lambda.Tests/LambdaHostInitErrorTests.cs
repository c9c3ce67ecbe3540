using System.Text.Json;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>LambdaHost's report of a failed init to the Runtime API's <c>/init/error</c>, and its one log line.</summary>
public sealed class LambdaHostInitErrorTests
{
    [Fact(Timeout = 30_000)]
    public async Task Init_ConfigurationError_IsRuntimeConfigInvalid_OneLineWithoutStackTrace()
    {
        var (exit, body, log) = await RunAsync(new FormatException("SINK_NEWLINE is 'yes';\nit must be true or false."), e => e is FormatException);

        Assert.Equal(1, exit);
        Assert.Equal("Runtime.ConfigInvalid", body.RootElement.GetProperty("errorType").GetString());
        Assert.Equal("SINK_NEWLINE is 'yes'; it must be true or false.", body.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("stackTrace").GetArrayLength());
        Assert.Equal(["Init error: Runtime.ConfigInvalid: SINK_NEWLINE is 'yes'; it must be true or false."], log);
    }

    [Fact(Timeout = 30_000)]
    public async Task Init_OtherError_KeepsItsTypeAndStackTrace()
    {
        var (exit, body, log) = await RunAsync(new InvalidOperationException("a bug"), e => e is FormatException);

        Assert.Equal(1, exit);
        Assert.Equal("Runtime.InvalidOperationException", body.RootElement.GetProperty("errorType").GetString());
        Assert.NotEqual(0, body.RootElement.GetProperty("stackTrace").GetArrayLength());
        Assert.Equal(["Init error: Runtime.InvalidOperationException: a bug"], log);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("AWS_LAMBDA_LOG_LEVEL", "LOUD", "AWS_LAMBDA_LOG_LEVEL is 'LOUD'; it must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL.")]
    [InlineData("AWS_LAMBDA_LOG_FORMAT", "XML", "AWS_LAMBDA_LOG_FORMAT is 'XML'; it must be JSON or Text.")]
    public async Task Init_LambdasOwnSettingUnusable_IsRuntimeConfigInvalidWithoutStackTrace(string name, string value, string message)
    {
        await using var server = new LocalRuntimeApiServer();
        server.Start();
        using var log = new StringWriter();
        var environment = new Dictionary<string, string> { ["AWS_LAMBDA_RUNTIME_API"] = server.RuntimeApi, [name] = value };

        var exit = await LambdaHost.RunAsync((payload, _, _) => ValueTask.FromResult(payload), new LambdaHostOptions { Environment = n => environment.GetValueOrDefault(n), Output = log });

        Assert.Equal(1, exit);
        using var body = JsonDocument.Parse(server.InitError!);
        Assert.Equal("Runtime.ConfigInvalid", body.RootElement.GetProperty("errorType").GetString());
        Assert.Equal(message, body.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("stackTrace").GetArrayLength());
    }

    private static async Task<(int Exit, JsonDocument Body, string[] Log)> RunAsync(Exception thrown, Func<Exception, bool> isConfigurationError)
    {
        await using var server = new LocalRuntimeApiServer();
        server.Start();
        using var log = new StringWriter();
        var environment = new Dictionary<string, string> { ["AWS_LAMBDA_RUNTIME_API"] = server.RuntimeApi };

        var exit = await LambdaHost.RunAsync(
            (payload, _, _) => ValueTask.FromResult(payload),
            new LambdaHostOptions
            {
                Environment = name => environment.GetValueOrDefault(name),
                Output = log,
                Initialize = _ => Task.FromException(Thrown(thrown)),
                IsConfigurationError = isConfigurationError,
            });

        return (exit, JsonDocument.Parse(server.InitError!), log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // Thrown, so that it has a stack trace as a real one would.
    private static Exception Thrown(Exception error)
    {
        try
        {
            throw error;
        }
        catch (Exception e) when (ReferenceEquals(e, error))
        {
            return e;
        }
    }
}
