using StreamFunctions.Cli.Commands;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>
/// The functions' logs never hold record payloads: the local pipeline runs records that carry a marker in every
/// field, in their partition keys and in the fields the sink partitions by, with some of them not JSON (so the sink's
/// error path and the aggregator's invalid-record path run), and the log lines of every function (Gateway, S3Sink,
/// Aggregator, FailureHandler) are searched for the marker.
/// </summary>
public sealed class LogAuditTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-log-audit-" + Guid.NewGuid().ToString("N"));

    [Fact(Timeout = 300_000)]
    public async Task Run_RecordsCarryingAMarker_TheMarkerIsInTheOutputButNeverInTheLogs()
    {
        Directory.CreateDirectory(_root);
        var marker = "PAYLOAD-" + Guid.NewGuid().ToString("N");
        var records = Path.Combine(_root, "records.jsonl");
        await File.WriteAllLinesAsync(records, Enumerable.Range(0, 600).Select(n =>
            n % 7 == 3 ? $"not json {marker} {n}"
            : $$"""{"eventId":{{n}},"userId":"{{marker}}","page":"/{{marker}}","type":"{{(n % 2 == 0 ? marker : "view")}}","ts":{{1767225600000L + (n * 10)}},"ms":{{n}},"note":"{{marker}}"}"""));
        var pipeline = Path.Combine(_root, "pipeline.yaml");
        await File.WriteAllTextAsync(pipeline, $"workload:\n  file: {records}\n");
        var logs = Path.Combine(_root, "functions.log");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(pipeline, null, Path.Combine(_root, "out"), null, output, error, interactive: false, CancellationToken.None, logsFile: logs);

        Assert.True(exit == 0, output + "\n" + error);
        var logged = await File.ReadAllTextAsync(logs);
        Assert.Contains("INFO\tingest", logged, StringComparison.Ordinal);
        Assert.Contains("INFO\twritten", logged, StringComparison.Ordinal);
        Assert.Contains("INFO\taggregated", logged, StringComparison.Ordinal);
        var files = Directory.EnumerateFiles(Path.Combine(_root, "out"), "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(files, f => f.Contains(marker, StringComparison.Ordinal));
        var leaks = logged.Split('\n').Where(l => l.Contains(marker, StringComparison.Ordinal)).Take(3).ToList();
        Assert.True(leaks.Count == 0, "the functions logged record payloads:\n" + string.Join('\n', leaks));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
