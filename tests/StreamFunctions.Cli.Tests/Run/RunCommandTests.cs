using StreamFunctions.Cli.Commands;
using StreamFunctions.Cli.Run;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Kinesis;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>
/// <c>sfn run</c>, the README's first command: the summary's counts against what this test reads back from the
/// output folder on its own (every object decompressed, every line parsed).
/// </summary>
public sealed partial class RunCommandTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "sfn-run-out-" + Guid.NewGuid().ToString("N"));
    private readonly string _data = Path.Combine(Path.GetTempPath(), "sfn-run-data-" + Guid.NewGuid().ToString("N"));

    [Fact(Timeout = 300_000)]
    public async Task Run_BuiltInPipeline_SummaryMatchesTheOutputFolder()
    {
        const int Records = 3_000;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(pipelineFile: null, Records, _out, dataDir: null, output, error, interactive: false, CancellationToken.None);

        var text = output.ToString();
        Assert.True(exit == 0, text + "\n" + error);
        // The folder is laid out exactly as the keys, and holds nothing else.
        RunOutput.VerifyFolder(text, Records, _out);
        Assert.Equal(Directory.EnumerateFiles(Path.Combine(_out, PipelineConfig.Default.Bucket), "*", SearchOption.AllDirectories).Count(), RunOutput.Number(text, @"objects\s+([\d,]+)"));
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_LoadForTwoSecondsAtARate_SendsAboutThatManyAndReportsLatencyLagAndMemory()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(pipelineFile: null, null, _out, dataDir: null, output, error, interactive: false, CancellationToken.None, load: new LoadOptions(TimeSpan.FromSeconds(2), 1_000));

        var text = output.ToString();
        Assert.True(exit == 0, text + "\n" + error);
        var sent = RunOutput.Number(text, @"records in\s+([\d,]+)");

        // Open loop at 1,000 records/s for 2 s, in requests of 250 leaving at 0, 0.25 … 1.75 s: 2,000 (fewer only if the gateway fell 0.25 s behind).
        Assert.InRange(sent, 1_000, 2_000);
        Assert.Equal(sent, RunOutput.Number(text, @"(?m)^  sink\s+read ([\d,]+)"));
        Assert.Equal(sent / 250, RunOutput.Number(text, @"gateway latency\s+p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms \(([\d,]+) samples\)"));
        Assert.Matches(@"end-to-end lag\s+sink p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms \([\d,]+ samples\)", text);
        Assert.Matches(@"memory\s+peak working set [\d,]+ MiB, GC heap peak [\d,]+ MiB", text);
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

    [Fact]
    public async Task Run_PipelineFileOverOneMebibyte_RefusedInOneLineByItsSizeBeforeItIsRead()
    {
        var file = Path.Combine(Directory.CreateDirectory(_data).FullName, "pipeline.yaml");
        using (var big = File.Create(file))
        {
            big.SetLength(Aws.EnvironmentVariables.MaxFileBytes + 1);
        }

        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(file, null, _out, null, output, error, interactive: false, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Equal($"sfn run: --pipeline is '{file}'; it must be a file of at most 1,048,576 bytes (it has 1,048,577).", Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.False(Directory.Exists(_out));
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_OutIsAFolderItDidNotCreate_RefusesInOneLineAndDeletesNothing()
    {
        var project = Path.Combine(_out, "Project.csproj");
        var sources = Path.Combine(_out, "src");
        Directory.CreateDirectory(sources);
        await File.WriteAllTextAsync(project, "<Project />");

        var (exit, _, error) = await RunAsync(100);

        Assert.Equal(2, exit);
        Assert.True(File.Exists(project) && Directory.Exists(sources), "the folder's own files were deleted");
        Assert.Contains(_out, Assert.Single(error), StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_OutIsAFile_RefusesInOneLineAndLeavesIt()
    {
        await File.WriteAllTextAsync(_out, "not a folder");

        var (exit, _, error) = await RunAsync(100);

        Assert.Equal(2, exit);
        Assert.Equal("not a folder", await File.ReadAllTextAsync(_out));
        Assert.Contains("is a file", Assert.Single(error), StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_OutOfAnEarlierRun_ReplacesOnlyThatRunsOutput()
    {
        Assert.Equal(0, (await RunAsync(300)).Exit);
        var notes = Path.Combine(_out, "notes.txt");
        await File.WriteAllTextAsync(notes, "mine");

        var (exit, output, error) = await RunAsync(200);

        Assert.True(exit == 0, output + "\n" + string.Join('\n', error));
        Assert.True(File.Exists(notes), "a file the user put beside the output was deleted");

        // The bucket holds the second run's 200 records and nothing of the first run's 300.
        RunOutput.VerifyFolder(output, 200, _out);
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_BucketNamedAfterAFolderTheUserPutInTheOutput_RefusesInOneLineAndLeavesIt()
    {
        Assert.Equal(0, (await RunAsync(100)).Exit);
        var earlier = Directory.EnumerateFiles(_out, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var own = Path.Combine(_out, "mydata", "data.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(own)!);
        await File.WriteAllTextAsync(own, "the user's");
        var pipeline = Path.Combine(Directory.CreateDirectory(_data).FullName, "pipeline.yaml");
        await File.WriteAllTextAsync(pipeline, "sink:\n  bucket: mydata\n");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(pipeline, 100, _out, null, output, error, interactive: false, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains("already holds mydata", Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        Assert.Equal("the user's", await File.ReadAllTextAsync(own));
        Assert.Equal(earlier.Append(own).Order(StringComparer.Ordinal), Directory.EnumerateFiles(_out, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_LogAnotherProcessHolds_RefusesBeforeTouchingTheOutput()
    {
        Assert.Equal(0, (await RunAsync(100)).Exit);
        var objects = Directory.EnumerateFiles(_out, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        (int Exit, string Output, string[] Error) refused;
        using (EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _data }))
        {
            refused = await RunAsync(100, _data);
        }

        Assert.Equal(2, refused.Exit);
        Assert.Contains("is in use by another process", Assert.Single(refused.Error), StringComparison.Ordinal);
        Assert.Equal(objects, Directory.EnumerateFiles(_out, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }

    [Theory(Timeout = 300_000)]
    [InlineData("held by another process")]
    [InlineData("with another shard count")]
    [InlineData("and a logs file in a missing folder")]
    public async Task Run_RefusedWithANewOutputFolder_LeavesNoFolderBehind(string refusal)
    {
        var output = Path.Combine(_out, "nested", "out");
        EmbeddedKinesis? held = null;
        string? logs = null;
        switch (refusal)
        {
            case "held by another process":
                held = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _data });
                break;
            case "with another shard count":
                using (var log = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _data }))
                {
                    await log.CreateStreamAsync(new CreateStreamRequest(PipelineConfig.Default.StreamName, 2));
                }

                break;
            default:
                Directory.CreateDirectory(_data);
                logs = Path.Combine(_data, "missing", "functions.log");
                break;
        }

        using var stdout = new StringWriter();
        using var error = new StringWriter();
        int exit;
        try
        {
            exit = await RunCommand.RunAsync(pipelineFile: null, 100, output, _data, stdout, error, interactive: false, CancellationToken.None, logsFile: logs);
        }
        finally
        {
            held?.Dispose();
        }

        Assert.True(exit == 2, stdout + "\n" + error);
        Assert.False(Directory.Exists(_out), $"the refused run left {_out} behind");
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_RefusedOnAnEmptyOutputFolderItDidNotMake_LeavesTheFolderEmpty()
    {
        Directory.CreateDirectory(_out);

        var (exit, _, _) = await RunAsync(100, logsFile: Path.Combine(_data, "missing", "functions.log"));

        Assert.Equal(2, exit);
        Assert.True(Directory.Exists(_out), "the user's empty folder was removed");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_out));
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_KeptDataDirectoryTwice_ReusesTheStreamAndCountsOnlyItsOwnRecords()
    {
        Assert.Equal(0, (await RunAsync(300, _data)).Exit);

        var (exit, output, error) = await RunAsync(200, _data);

        Assert.True(exit == 0, output + "\n" + string.Join('\n', error));
        RunOutput.VerifyFolder(output, 200, _out);
        Assert.Contains("kept from an earlier run", output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_KeptDataDirectoryWithAnotherShardCount_RefusesInOneLine()
    {
        using (var log = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _data }))
        {
            await log.CreateStreamAsync(new CreateStreamRequest(PipelineConfig.Default.StreamName, 2));
        }

        var (exit, _, error) = await RunAsync(100, _data);

        Assert.Equal(2, exit);
        Assert.Contains("2 open shards", Assert.Single(error), StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_DataDirectoryInsideTheOutput_RefusesInOneLine()
    {
        var (exit, _, error) = await RunAsync(100, Path.Combine(_out, PipelineConfig.Default.Bucket, "log"));

        Assert.Equal(2, exit);
        Assert.Contains("--data-dir", Assert.Single(error), StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_LogsFileInAMissingFolder_RefusesInOneLine()
    {
        var (exit, _, error) = await RunAsync(100, logsFile: Path.Combine(_data, "missing", "functions.log"));

        Assert.Equal(2, exit);
        Assert.Contains("--logs", Assert.Single(error), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (File.Exists(_out))
        {
            File.Delete(_out);
        }

        foreach (var folder in new[] { _out, _data }.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The built-in pipeline with a number of records into _out: exit code, stdout, stderr's lines.
    private async Task<(int Exit, string Output, string[] Error)> RunAsync(int records, string? dataDir = null, string? logsFile = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await RunCommand.RunAsync(pipelineFile: null, records, _out, dataDir, output, error, interactive: false, CancellationToken.None, logsFile: logsFile);
        return (exit, output.ToString(), error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
