using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
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
        Assert.EndsWith("local pipeline passed", text.TrimEnd(), StringComparison.Ordinal);
        var bucket = Path.Combine(_out, PipelineConfig.Default.Bucket);

        // Data: every line under clicks/ is a clickstream record in its type's partition; the error prefix holds the
        // malformed ones with their bytes; together, every record sent exactly once.
        var seen = new List<int>();
        var dataObjects = Files(bucket, "clicks");
        foreach (var file in dataObjects)
        {
            var type = Regex.Match(file, "type=([a-z]+)").Groups[1].Value;
            foreach (var line in PipelineOutput.JsonLines(file))
            {
                using var record = JsonDocument.Parse(line);
                Assert.Equal(type, record.RootElement.GetProperty("type").GetString());
                seen.Add(record.RootElement.GetProperty("eventId").GetInt32());
            }
        }

        var delivered = seen.Count;
        var errorObjects = Files(bucket, "errors");
        foreach (var line in errorObjects.SelectMany(PipelineOutput.JsonLines))
        {
            using var failure = JsonDocument.Parse(line);
            var raw = Encoding.UTF8.GetString(failure.RootElement.GetProperty("rawData").GetBytesFromBase64());
            seen.Add(int.Parse(Regex.Match(raw, @"^not json: eventId (\d+)$").Groups[1].Value, CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(0, Records), seen.Order());
        Assert.Equal((Records, delivered, seen.Count - delivered, dataObjects.Count + errorObjects.Count), (
            Number(text, @"accepted ([\d,]+)"),
            Number(text, @"delivered ([\d,]+)"),
            Number(text, @"to the error prefix ([\d,]+)"),
            Number(text, @"; ([\d,]+) objects")));

        // Windows: one row per (page, minute) as the stream is keyed by page; the views add up to the records applied.
        var rows = Files(bucket, "results").SelectMany(PipelineOutput.JsonLines).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var windows = rows.GroupBy(r => r.GetProperty("resultKey").GetString()).ToList();
        Assert.Equal(
            (Number(text, @"applied ([\d,]+)"), Number(text, @"windows emitted ([\d,]+)"), Number(text, @"\(([\d,]+) result rows\)")),
            ((int)windows.Sum(w => w.Last().GetProperty("views").GetDouble()), windows.Count, rows.Count));
        Assert.All(windows, w => Assert.Matches(@"^page-views/[/a-z0-9]+/\d+-\d+$", w.Key));

        // The side output holds the records the aggregator could not count; nothing was discarded to the DLQ.
        var side = Files(bucket, "late").SelectMany(PipelineOutput.JsonLines).Count();
        Assert.Equal(Number(text, @"late ([\d,]+)") + Number(text, @"invalid ([\d,]+)"), side);
        Assert.Equal(0, Number(text, @"([\d,]+) records discarded"));
        Assert.Empty(Files(bucket, "dlq"));
        Assert.Equal(Directory.EnumerateFiles(bucket, "*", SearchOption.AllDirectories).Count(), Number(text, @"objects on disk\s+([\d,]+)"));
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

    private static int Number(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"no '{pattern}' in:\n{text}");
        return int.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }
}
