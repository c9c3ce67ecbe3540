using System.Diagnostics;

namespace StreamFunctions.Cli.Tests.CommandLine;

/// <summary>
/// The built <c>sfn</c> as a child process (<c>dotnet exec sfn.dll</c>, as the README's command runs it): its lines on
/// stdout and stderr as they come, signals sent with <c>kill</c>, and its exit code.
/// </summary>
internal sealed class SfnProcess : IDisposable
{
    private static readonly string Sfn = Path.Combine(AppContext.BaseDirectory, "sfn.dll");
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _error = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SfnProcess(Process process) => _process = process;

    /// <summary>The lines printed on stdout so far.</summary>
    public IReadOnlyList<string> Output => Snapshot(_output);

    /// <summary>The lines printed on stderr so far.</summary>
    public IReadOnlyList<string> Error => Snapshot(_error);

    /// <summary>
    /// Starts <c>sfn</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>. SIGINT is reset to its
    /// default first (<c>env --default-signal=INT</c>): a shell without job control starts background commands with SIGINT
    /// ignored, the child would inherit that, and .NET then never sees Ctrl-C.
    /// </summary>
    public static SfnProcess Start(string workingDirectory, params string[] arguments) => Start(workingDirectory, null, arguments);

    /// <summary>Starts <c>sfn</c> with its environment changed: a null value removes the variable.</summary>
    public static SfnProcess Start(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("env")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet");
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Sfn);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var sfn = new SfnProcess(process);
        process.OutputDataReceived += (_, e) => sfn.Add(sfn._output, e.Data);
        process.ErrorDataReceived += (_, e) => sfn.Add(sfn._error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sfn;
    }

    /// <summary>Runs <c>sfn</c> to its end.</summary>
    public static Task<(int Exit, IReadOnlyList<string> Output, IReadOnlyList<string> Error)> RunAsync(string workingDirectory, params string[] arguments) =>
        RunAsync(workingDirectory, null, arguments);

    /// <summary>Runs <c>sfn</c> to its end with its environment changed: a null value removes the variable.</summary>
    public static async Task<(int Exit, IReadOnlyList<string> Output, IReadOnlyList<string> Error)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        using var sfn = Start(workingDirectory, environment, arguments);
        var exit = await sfn.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exit, sfn.Output, sfn.Error);
    }

    /// <summary>Sends a signal (<c>INT</c>, <c>TERM</c>) with <c>kill</c>.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits until a line on stdout or stderr matches, and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var exited = _process.WaitForExitAsync();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_output.Concat(_error).FirstOrDefault(match) is { } line)
                {
                    return line;
                }

                changed = _changed.Task;
            }

            if (exited.IsCompleted)
            {
                throw new InvalidOperationException($"sfn exited ({_process.ExitCode}) without the line awaited:\n{Transcript()}");
            }

            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(changed, exited, Task.Delay(left)) is var woke && woke != changed && woke != exited)
            {
                throw new TimeoutException($"no such line from sfn in {timeout}:\n{Transcript()}");
            }
        }
    }

    /// <summary>Everything printed so far, stdout then stderr.</summary>
    public string Transcript() => string.Join('\n', Output) + "\n--- stderr ---\n" + string.Join('\n', Error);

    /// <summary>Waits for the process to end (with its output read to the end) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException($"sfn still runs after {timeout}:\n{Transcript()}", e);
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        TaskCompletionSource changed;
        lock (_gate)
        {
            lines.Add(line);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.SetResult();
    }

    private List<string> Snapshot(List<string> lines)
    {
        lock (_gate)
        {
            return [.. lines];
        }
    }
}
