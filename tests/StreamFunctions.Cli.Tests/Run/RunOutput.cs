using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>
/// A run's summary against what this test reads back on its own from the objects (every object decompressed, every
/// line parsed), wherever they are: a folder or S3.
/// </summary>
internal static class RunOutput
{
    /// <summary>Checks the summary of the built-in pipeline's run of <paramref name="records"/> records.</summary>
    /// <param name="summary">What the run printed.</param>
    /// <param name="records">Records sent.</param>
    /// <param name="objects">The objects under a prefix (<c>clicks</c>, <c>errors</c>, …): key and lines.</param>
    /// <param name="verdict">How the summary's last line starts.</param>
    public static void Verify(string summary, int records, Func<string, List<(string Key, List<string> Lines)>> objects, string verdict = "local pipeline passed")
    {
        Assert.StartsWith(verdict, summary.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);

        // Data: every line under clicks/ is a clickstream record in its type's partition; the error prefix holds the
        // malformed ones with their bytes; together, every record sent exactly once.
        var seen = new List<int>();
        var data = objects("clicks");
        foreach (var (key, lines) in data)
        {
            var type = Regex.Match(key, "type=([a-z]+)/").Groups[1].Value;
            foreach (var line in lines)
            {
                using var record = JsonDocument.Parse(line);
                Assert.Equal(type, record.RootElement.GetProperty("type").GetString());
                seen.Add(record.RootElement.GetProperty("eventId").GetInt32());
            }
        }

        var delivered = seen.Count;
        var errors = objects("errors");
        foreach (var line in errors.SelectMany(o => o.Lines))
        {
            using var failure = JsonDocument.Parse(line);
            var raw = Encoding.UTF8.GetString(failure.RootElement.GetProperty("rawData").GetBytesFromBase64());
            seen.Add(int.Parse(Regex.Match(raw, @"^not json: eventId (\d+)$").Groups[1].Value, CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(0, records), seen.Order());
        Assert.Equal((records, delivered, seen.Count - delivered, data.Count + errors.Count), (
            Number(summary, @"accepted ([\d,]+)"),
            Number(summary, @"delivered ([\d,]+)"),
            Number(summary, @"to the error prefix ([\d,]+)"),
            Number(summary, @"; ([\d,]+) objects")));

        // Windows: one row per (page, minute) as the stream is keyed by page; the views add up to the records applied.
        var rows = objects("results").SelectMany(o => o.Lines).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var windows = rows.GroupBy(r => r.GetProperty("resultKey").GetString()).ToList();
        Assert.Equal(
            (Number(summary, @"applied ([\d,]+)"), Number(summary, @"windows emitted ([\d,]+)"), Number(summary, @"\(([\d,]+) result rows\)")),
            ((int)windows.Sum(w => w.Last().GetProperty("views").GetDouble()), windows.Count, rows.Count));
        Assert.All(windows, w => Assert.Matches(@"^page-views/[/a-z0-9]+/\d+-\d+$", w.Key));

        // The side output holds the records the aggregator could not count; nothing was discarded to the DLQ.
        var side = objects("late").SelectMany(o => o.Lines).Count();
        Assert.Equal(Number(summary, @"late ([\d,]+)") + Number(summary, @"invalid ([\d,]+)"), side);
        Assert.Equal(0, Number(summary, @"([\d,]+) records discarded"));
        Assert.Empty(objects("dlq"));
    }

    /// <summary><see cref="Verify"/> over the objects of the built-in pipeline's bucket in an <c>sfn run --out</c> folder.</summary>
    /// <param name="summary">What the run printed.</param>
    /// <param name="records">Records sent.</param>
    /// <param name="output">The <c>--out</c> folder.</param>
    /// <param name="verdict">How the summary's last line starts.</param>
    public static void VerifyFolder(string summary, int records, string output, string verdict = "local pipeline passed")
    {
        var bucket = Path.Combine(output, Cli.Run.PipelineConfig.Default.Bucket);
        Verify(summary, records, prefix => Directory.Exists(Path.Combine(bucket, prefix))
            ? [.. Directory.EnumerateFiles(Path.Combine(bucket, prefix), "*", SearchOption.AllDirectories).Select(f => (Path.GetRelativePath(bucket, f).Replace(Path.DirectorySeparatorChar, '/'), Cli.Run.PipelineOutput.JsonLines(f).ToList()))]
            : [], verdict);
    }

    public static int Number(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"no '{pattern}' in:\n{text}");
        return int.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }
}
