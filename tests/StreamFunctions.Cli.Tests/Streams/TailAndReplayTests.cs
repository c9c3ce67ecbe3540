using System.Text.RegularExpressions;
using StreamFunctions.Cli.Commands;
using StreamFunctions.Cli.Run;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Kinesis;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Cli.Tests.Streams;

/// <summary><c>sfn tail</c> and <c>sfn replay</c> on an embedded stream log (<c>--data-dir</c>).</summary>
public sealed class TailAndReplayTests : IDisposable
{
    private readonly string _log = Path.Combine(Path.GetTempPath(), "sfn-tail-" + Guid.NewGuid().ToString("N"));
    private readonly string _out = Path.Combine(Path.GetTempPath(), "sfn-replay-out-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Tail_DeaggregatesKplRecordsAndShowsBinaryAsBase64_StopsAtTheTipWithoutFollow()
    {
        using (var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _log }))
        {
            await kinesis.CreateStreamAsync(new CreateStreamRequest("clicks", 2));
            var aggregate = new List<KinesisAggregate>();
            using var aggregator = new KplAggregator();
            aggregator.AddRange(new[] { new UserRecord("u1", "{\"n\":1}"u8.ToArray()), new UserRecord("u2", "{\"n\":2}"u8.ToArray()) }, aggregate);
            await kinesis.PutRecordsAsync(new PutRecordsRequest("clicks", [.. aggregate.Select(a => a.ToPutRecordsRequestEntry()), new PutRecordsRequestEntry(new byte[] { 0, 1, 0xFF }, "bin"), new PutRecordsRequestEntry("plain text"u8.ToArray(), "t")]));
        }

        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await TailCommand.RunAsync("clicks", ShardIteratorType.TrimHorizon, limit: null, follow: false, _log, null, output, error, CancellationToken.None);

        Assert.True(exit == 0, error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^shardId-\d{12} \d+:0 key=u1 \{""n"":1\}$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^shardId-\d{12} \d+:1 key=u2 \{""n"":2\}$"));
        Assert.Contains(lines, l => l.EndsWith("key=bin base64:AAH/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("key=t plain text", StringComparison.Ordinal));
        Assert.Contains("4 records", error.ToString(), StringComparison.Ordinal);

        using var limited = new StringWriter();
        await TailCommand.RunAsync("clicks", ShardIteratorType.TrimHorizon, limit: 2, follow: true, _log, null, limited, error, CancellationToken.None);
        Assert.Equal(2, limited.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact(Timeout = 300_000)]
    public async Task Replay_RunOutputAndItsErrorRecords_BackIntoAStream_EveryRecordOnce()
    {
        // A local run's output: data under clicks/, the malformed records under errors/ with their bytes.
        using var runOutput = new StringWriter();
        Assert.Equal(0, await RunCommand.RunAsync(null, 1_000, _out, null, runOutput, TextWriter.Null, interactive: false, CancellationToken.None));
        var bucket = Path.Combine(_out, PipelineConfig.Default.Bucket);
        using (var kinesis = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _log }))
        {
            await kinesis.CreateStreamAsync(new CreateStreamRequest("backfill", 3));
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var data = await ReplayCommand.RunAsync(Path.Combine(bucket, "clicks"), "backfill", "$.page", rawData: false, rate: null, dryRun: false, _log, null, output, error, CancellationToken.None);
        var errors = await ReplayCommand.RunAsync(Path.Combine(bucket, "errors"), "backfill", null, rawData: true, rate: null, dryRun: false, _log, null, output, error, CancellationToken.None);

        Assert.True(data == 0 && errors == 0, output + "\n" + error);
        Assert.Contains("998 records: written 998, failed 0", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("2 records: written 2, failed 0, 2 keyed by a hash of the line", output.ToString(), StringComparison.Ordinal);
        using var tail = new StringWriter();
        await TailCommand.RunAsync("backfill", ShardIteratorType.TrimHorizon, null, follow: false, _log, null, tail, TextWriter.Null, CancellationToken.None);
        var ids = Regex.Matches(tail.ToString(), @"(?:""eventId"":|not json: eventId )(\d+)").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Enumerable.Range(0, 1_000), ids.Order());
        Assert.All(tail.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("\"page\":", StringComparison.Ordinal)), l =>
            Assert.Equal(Regex.Match(l, @"key=(\S+) ").Groups[1].Value, Regex.Match(l, @"""page"":""([^""]+)""").Groups[1].Value));
    }

    [Fact]
    public async Task Tail_FolderWithoutALog_RefusedInOneLineAndNothingWrittenThere()
    {
        Directory.CreateDirectory(_log);
        File.WriteAllText(Path.Combine(_log, "notes.txt"), "mine");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await TailCommand.RunAsync("clicks", ShardIteratorType.TrimHorizon, limit: null, follow: false, _log, null, output, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Equal($"sfn tail: no embedded stream log in {_log} (sfn run --data-dir keeps one)", error.ToString().Trim());
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(_log).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Tail_LogARunHolds_RefusedInOneLine()
    {
        using var held = EmbeddedKinesis.Open(new EmbeddedKinesisOptions { Directory = _log });
        await held.CreateStreamAsync(new CreateStreamRequest("clicks", 1));
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await TailCommand.RunAsync("clicks", ShardIteratorType.TrimHorizon, limit: null, follow: false, _log, null, output, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Single(error.ToString().Trim().Split('\n'));
        Assert.Contains("is in use by another process", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_MissingFolder_RefusedNamingIt()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await ReplayCommand.RunAsync("/no/such/folder", "s", null, false, null, false, null, null, output, error, CancellationToken.None);

        Assert.Equal(2, exit);
        Assert.Contains("no folder /no/such/folder", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var directory in new[] { _log, _out })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
