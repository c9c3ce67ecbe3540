using StreamFunctions.Cli.Commands;
using StreamFunctions.Cli.Run;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>
/// <c>sfn run</c>, the README's first command: the summary's counts against what this test reads back from the
/// output folder on its own (every object decompressed, every line parsed).
/// </summary>
public sealed partial class RunCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "sfn-run-out-" + Guid.NewGuid().ToString("N"));

    [Fact(Timeout = 300_000)]
    public async Task Run_BuiltInPipeline_SummaryMatchesTheOutputFolder()
    {
        const int Records = 3_000;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(pipelineFile: null, Records, _out, dataDir: null, output, error, interactive: false, CancellationToken.None);

        var text = output.ToString();
        Assert.True(exit == 0, text + "\n" + error);
        var bucket = Path.Combine(_out, PipelineConfig.Default.Bucket);

        // The folder is laid out exactly as the keys, and holds nothing else.
        RunOutput.Verify(text, Records, prefix => [.. Files(bucket, prefix).Select(f => (Path.GetRelativePath(bucket, f).Replace(Path.DirectorySeparatorChar, '/'), PipelineOutput.JsonLines(f).ToList()))]);
        Assert.Equal(Directory.EnumerateFiles(bucket, "*", SearchOption.AllDirectories).Count(), RunOutput.Number(text, @"objects\s+([\d,]+)"));
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_KeptDataDirectory_HoldsTheStreamLogAfterwards()
    {
        var directory = Path.Combine(Path.GetTempPath(), "sfn-run-test-" + Guid.NewGuid().ToString("N"));
        using var output = new StringWriter();
        using var error = new StringWriter();
        try
        {
            var exit = await RunCommand.RunAsync(pipelineFile: null, 200, _out, directory, output, error, interactive: false, CancellationToken.None);

            Assert.True(exit == 0, output + "\n" + error);
            Assert.NotEmpty(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Run_PipelineFileWithUnknownSetting_ExitsTwoNamingIt()
    {
        var file = Path.Combine(Path.GetTempPath(), "sfn-pipeline-" + Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(file, "sink:\n  bufferSizeMb: 5\n");
        using var output = new StringWriter();
        using var error = new StringWriter();
        try
        {
            var exit = await RunCommand.RunAsync(file, null, _out, null, output, error, interactive: false, CancellationToken.None);

            Assert.Equal(2, exit);
            Assert.Contains("unknown setting 'sink.bufferSizeMb'", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
        {
            Directory.Delete(_out, recursive: true);
        }
    }

    private static List<string> Files(string bucket, string prefix) =>
        Directory.Exists(Path.Combine(bucket, prefix)) ? [.. Directory.EnumerateFiles(Path.Combine(bucket, prefix), "*", SearchOption.AllDirectories)] : [];
}
