using System.Text;
using StreamFunctions.Cli.Commands;

namespace StreamFunctions.Cli.Tests.Invoke;

public sealed class InvokeCommandTests
{
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no repository root");
    }

    private static string EchoBootstrap => Path.Combine(Root(), "functions", "Echo", "bin", "Release", "net10.0", "bootstrap");

    [Fact]
    public async Task Run_EchoWithSampleEvent_PrintsTheResponseAndSucceeds()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var sample = Path.Combine(Root(), "events", "kinesis.json");

        var exit = await InvokeCommand.RunAsync("Echo", sample, TimeSpan.FromSeconds(30), EchoBootstrap, [], Stream.Null, output, error, CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Equal(File.ReadAllText(sample).TrimEnd(), output.ToString().TrimEnd());
        Assert.Contains("succeeded", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EventFromStdinAskingToFail_PrintsTheErrorAndExitsOne()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes("{\"fail\":\"bad record\"}"));

        var exit = await InvokeCommand.RunAsync("Echo", "-", TimeSpan.FromSeconds(30), EchoBootstrap, ["AWS_LAMBDA_LOG_FORMAT=JSON"], stdin, output, error, CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains("\"errorMessage\":\"bad record\"", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"level\":\"ERROR\"", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownFunction_ExitsTwoListingTheFunctions()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await InvokeCommand.RunAsync("Nope", Path.Combine(Root(), "events", "sqs.json"), TimeSpan.FromSeconds(5), null, [], Stream.Null, output, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains("no function 'Nope'", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("Echo", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MalformedEnv_ExitsTwo()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await InvokeCommand.RunAsync("Echo", "-", TimeSpan.FromSeconds(5), EchoBootstrap, ["NOEQUALS"], Stream.Null, output, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains("NAME=VALUE", error.ToString(), StringComparison.Ordinal);
    }
}
