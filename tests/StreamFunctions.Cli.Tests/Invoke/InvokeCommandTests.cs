using System.Text;
using StreamFunctions.Cli.Commands;
using StreamFunctions.Testing;

namespace StreamFunctions.Cli.Tests.Invoke;

public sealed class InvokeCommandTests
{
    private static string EchoBootstrap => RepositoryPaths.FunctionBootstrap("Echo");

    [Fact]
    public async Task Run_EchoWithSampleEvent_PrintsTheResponseAndSucceeds()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var sample = Path.Combine(RepositoryPaths.Root(), "events", "kinesis.json");

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
    public async Task Run_EventFileWithByteOrderMark_TheFunctionGetsTheEventWithoutIt()
    {
        // 8 of aws-lambda-dotnet's event fixtures start with a UTF-8 byte-order mark.
        using var output = new StringWriter();
        using var error = new StringWriter();
        var sample = File.ReadAllBytes(Path.Combine(RepositoryPaths.Root(), "events", "kinesis.json"));
        var file = Path.Combine(Path.GetTempPath(), $"sfn-bom-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(file, [0xEF, 0xBB, 0xBF, .. sample]);
        try
        {
            var exit = await InvokeCommand.RunAsync("Echo", file, TimeSpan.FromSeconds(30), EchoBootstrap, [], Stream.Null, output, error, CancellationToken.None);

            Assert.Equal(0, exit);
            Assert.Equal(Encoding.UTF8.GetString(sample).TrimEnd(), output.ToString().TrimEnd());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Run_UnknownFunction_ExitsTwoListingTheFunctions()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await InvokeCommand.RunAsync("Nope", Path.Combine(RepositoryPaths.Root(), "events", "sqs.json"), TimeSpan.FromSeconds(5), null, [], Stream.Null, output, error, CancellationToken.None);

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
