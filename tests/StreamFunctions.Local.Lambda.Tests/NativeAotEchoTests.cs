using System.Diagnostics;
using System.Text;
using System.Text.Json;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>
/// functions/Echo published with Native AOT (as deployed on provided.al2023), run under the local
/// Runtime API server. One publish per test run, shared by the tests of this class.
/// </summary>
[Trait(TestCategories.Category, "NativeAot")]
public sealed class NativeAotEchoTests(NativeAotEchoTests.PublishedEcho echo) : IClassFixture<NativeAotEchoTests.PublishedEcho>
{
    [Fact]
    public async Task Invoke_NativeEcho_ReturnsTheEvent()
    {
        await using var sut = new ProcessLambdaInvoker(echo.Bootstrap, new LocalFunctionOptions { FunctionName = "Echo", Timeout = TimeSpan.FromSeconds(10) });

        var result = await sut.InvokeAsync(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root(), "events", "kinesis.json")));

        Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root(), "events", "kinesis.json")), result.Payload.ToArray());
    }

    [Fact]
    public async Task Invoke_NativeEchoFailing_ReturnsAwsErrorPayloadAndLogsJson()
    {
        using var logs = new StringWriter();
        await using var sut = new ProcessLambdaInvoker(echo.Bootstrap, new LocalFunctionOptions
        {
            Timeout = TimeSpan.FromSeconds(10),
            Environment = new Dictionary<string, string> { ["AWS_LAMBDA_LOG_FORMAT"] = "JSON" },
        }, logs);

        var result = await sut.InvokeAsync("{\"fail\":\"native failure\"}"u8.ToArray());

        Assert.Equal("Unhandled", result.FunctionError);
        using var error = JsonDocument.Parse(result.Payload);
        Assert.Equal("native failure", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("EchoFailureException", error.RootElement.GetProperty("errorType").GetString());
        var echoLine = logs.ToString().Split('\n').First(l => l.Contains("\"message\":\"echo\"", StringComparison.Ordinal));
        using var line = JsonDocument.Parse(echoLine);
        Assert.Equal(result.RequestId, line.RootElement.GetProperty("requestId").GetString());
    }

    /// <summary>Publishes functions/Echo with Native AOT once into a temporary folder.</summary>
    public sealed class PublishedEcho : IDisposable
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "sfn-aot-" + Guid.NewGuid().ToString("N"));

        public PublishedEcho()
        {
            var project = Path.Combine(RepositoryPaths.Root(), "functions", "Echo", "Echo.csproj");
            var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", _directory, "--nologo"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("dotnet publish with Native AOT took over 8 minutes.");
            }

            Bootstrap = Path.Combine(_directory, "bootstrap");
            if (process.ExitCode != 0 || !File.Exists(Bootstrap))
            {
                throw new InvalidOperationException($"Native AOT publish of functions/Echo failed ({process.ExitCode}):\n{output.Result}\n{errors.Result}");
            }

            // A native executable, not a managed apphost: no Echo dll beside it.
            if (File.Exists(Path.Combine(_directory, "bootstrap.dll")))
            {
                throw new InvalidOperationException("The publish produced a managed bootstrap.dll: it was not a Native AOT build.");
            }
        }

        public string Bootstrap { get; }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Temporary folder: the OS cleans it.
            }
        }
    }
}
