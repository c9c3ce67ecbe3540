using StreamFunctions.Cli.Commands;

namespace StreamFunctions.Cli.Tests.Run;

public sealed class RunCommandTests
{
    [Fact]
    public async Task Run_EmbeddedDefault_DeliversEveryRecordOnceThroughTheFunction()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Many shards and small batches: the runner invokes shards concurrently, and every record must still be counted once.
        var exit = await RunCommand.RunAsync(records: 1_500, shards: 8, batchSize: 20, "Echo", dataDir: null, output, error, CancellationToken.None);

        Assert.True(exit == 0, output + "\n" + error);
        Assert.Contains("out 1,500", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("duplicates 0, missing 0, mismatches 0", output.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("local pipeline passed", output.ToString().TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KeptDataDirectory_HoldsTheStreamLogAfterwards()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sfn-run-test-" + Guid.NewGuid().ToString("N"));
        using var output = new StringWriter();
        using var error = new StringWriter();
        try
        {
            var exit = await RunCommand.RunAsync(records: 200, shards: 1, batchSize: 100, "Echo", directory, output, error, CancellationToken.None);

            Assert.Equal(0, exit);
            Assert.NotEmpty(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Run_UnknownFunction_ExitsTwoWithAClearError()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(records: 10, shards: 1, batchSize: 10, "Missing", dataDir: null, output, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains("no function 'Missing'", error.ToString(), StringComparison.Ordinal);
    }
}
