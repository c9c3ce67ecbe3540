using System.Diagnostics;

namespace StreamFunctions.Local.StreamLog.Tests;

/// <summary>Runs the crash writer as a child process and kills it after a number of acknowledged records.</summary>
public static class CrashWriterProcess
{
    private static readonly string WriterPath = Path.Combine(AppContext.BaseDirectory, "StreamFunctions.Local.StreamLog.CrashWriter.dll");

    /// <summary>Starts the writer, kills it once <paramref name="killAfter"/> acknowledgements were read (or it has run <paramref name="maxRun"/>), and returns every complete line it printed.</summary>
    public static List<string[]> RunAndKill(IReadOnlyList<string> arguments, int killAfter, TimeSpan maxRun)
    {
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(WriterPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The crash writer did not start.");
        var errors = process.StandardError.ReadToEndAsync();
        var lines = new List<string[]>();
        var watch = Stopwatch.StartNew();
        var readTask = process.StandardOutput.ReadLineAsync();
        while (lines.Count < killAfter && watch.Elapsed < maxRun)
        {
            if (!readTask.Wait(maxRun - watch.Elapsed + TimeSpan.FromMilliseconds(1)))
            {
                break;
            }

            var line = readTask.Result;
            if (line is null)
            {
                throw new InvalidOperationException($"The crash writer exited by itself (code {(process.WaitForExit(5000) ? process.ExitCode : -1)}): {errors.Result}");
            }

            lines.Add(line.Split(' '));
            readTask = process.StandardOutput.ReadLineAsync();
        }

        process.Kill(entireProcessTree: true);
        process.WaitForExit();

        // Lines the writer flushed before it died are acknowledgements too.
        while (readTask.Result is { } rest)
        {
            lines.Add(rest.Split(' '));
            readTask = process.StandardOutput.ReadLineAsync();
        }

        Assert.True(lines.Count > 0, $"The crash writer acknowledged nothing. Its errors: {errors.Result}");
        return lines;
    }
}
