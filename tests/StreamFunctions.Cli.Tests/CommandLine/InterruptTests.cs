using System.Text.RegularExpressions;
using StreamFunctions.Cli.Tests.Run;

namespace StreamFunctions.Cli.Tests.CommandLine;

/// <summary>
/// Ctrl-C on <c>sfn run</c>, as a user presses it: the real program as a child process, sent SIGINT with <c>kill</c> once
/// records flow from the gateway to both consumers (a progress line shows the sink has read some).
/// </summary>
public sealed class InterruptTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "sfn-interrupt-" + Guid.NewGuid().ToString("N"))).FullName;

    [Fact(Timeout = 300_000)]
    public async Task Run_CtrlC_DeliversWhatWasAcknowledgedPrintsTheSummaryRemovesItsLogAndExits130()
    {
        var objects = Path.Combine(_root, "out");
        using var sfn = SfnProcess.Start(_root, "run", "--duration", "600", "--out", objects);
        var log = await TemporaryLogAsync(sfn);
        await sfn.WaitForLineAsync(l => Regex.IsMatch(l, "sink read [1-9]"), Patience);

        sfn.Signal("INT");
        var exit = await sfn.WaitForExitAsync(Patience);

        Assert.True(exit == 130, $"exit {exit}:\n{sfn.Transcript()}");
        Assert.Contains("Ctrl-C again", Assert.Single(sfn.Error), StringComparison.Ordinal);

        // Every record the gateway acknowledged is in the objects, once: the summary's counts are exact.
        var summary = string.Join('\n', sfn.Output);
        var sent = RunOutput.Number(summary, @"records in\s+([\d,]+)");
        Assert.True(sent > 0, summary);
        RunOutput.VerifyFolder(summary, sent, objects, verdict: "local pipeline interrupted");
        Assert.False(Directory.Exists(log), $"the temporary log {log} is left");
    }

    [Fact(Timeout = 300_000)]
    public async Task Run_CtrlCTwice_ExitsAtOnceWith130()
    {
        using var sfn = SfnProcess.Start(_root, "run", "--duration", "600", "--out", Path.Combine(_root, "out"));
        var log = await TemporaryLogAsync(sfn);
        try
        {
            await sfn.WaitForLineAsync(l => Regex.IsMatch(l, "sink read [1-9]"), Patience);

            // The second signal follows the first's notice at once: the graceful stop (in-flight requests, the drain, the
            // final flush, the summary) takes far longer than that.
            sfn.Signal("INT");
            await sfn.WaitForLineAsync(l => l.Contains("Ctrl-C again", StringComparison.Ordinal), Patience);
            sfn.Signal("INT");
            var exit = await sfn.WaitForExitAsync(TimeSpan.FromSeconds(10));

            Assert.True(exit == 130, $"exit {exit}:\n{sfn.Transcript()}");
            Assert.Contains("exiting at once", sfn.Error[^1], StringComparison.Ordinal);
            Assert.DoesNotContain(sfn.Output, l => l.StartsWith("local pipeline", StringComparison.Ordinal));
        }
        finally
        {
            // Exiting at once leaves the temporary log (the notice says so).
            if (Directory.Exists(log))
            {
                Directory.Delete(log, recursive: true);
            }
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static async Task<string> TemporaryLogAsync(SfnProcess sfn)
    {
        var line = await sfn.WaitForLineAsync(l => l.Contains("embedded log in ", StringComparison.Ordinal), Patience);
        return Regex.Match(line, @"embedded log in (\S+)").Groups[1].Value;
    }
}
