using System.Diagnostics;
using System.Globalization;
using StreamFunctions.Lambda.Invocation;

namespace StreamFunctions.Local.Lambda;

/// <summary>
/// Invokes a function executable (<c>bootstrap</c>, as deployed on <c>provided.al2023</c>) under a local
/// Runtime API server: starts it with <c>AWS_LAMBDA_RUNTIME_API</c> and the function's variables, keeps it
/// warm between invocations, restarts it after it crashes or times out (as Lambda does), and stops it
/// on dispose. Invocations are serial, as one Lambda execution environment runs them.
/// </summary>
public sealed class ProcessLambdaInvoker : ILambdaInvoker, IAsyncDisposable
{
    private readonly string _bootstrap;
    private readonly LocalFunctionOptions _function;
    private readonly TextWriter _logs;
    private readonly LocalRuntimeApiServer _server;
    private readonly SemaphoreSlim _serial = new(1, 1);
    private Process? _process;

    /// <summary>Creates the invoker; the process starts at the first invocation.</summary>
    /// <param name="bootstrap">The function executable.</param>
    /// <param name="function">Name, timeout, memory and environment.</param>
    /// <param name="logs">Where the function's stdout and stderr go; discarded when null.</param>
    public ProcessLambdaInvoker(string bootstrap, LocalFunctionOptions? function = null, TextWriter? logs = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrap);
        if (!File.Exists(bootstrap))
        {
            throw new FileNotFoundException($"The function executable '{bootstrap}' does not exist (build or publish the function first).", bootstrap);
        }

        _bootstrap = Path.GetFullPath(bootstrap);
        _function = function ?? new LocalFunctionOptions();
        _logs = logs ?? TextWriter.Null;
        _server = new LocalRuntimeApiServer(_function, log: logs);
        _server.Start();
    }

    /// <summary>How many times the function process was started (cold starts).</summary>
    public int ColdStarts { get; private set; }

    /// <inheritdoc />
    public async Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureStarted();
            var result = await _server.InvokeAsync(payload, cancellationToken).ConfigureAwait(false);
            if (result.FunctionError is not null && IsTimeout(result))
            {
                // Lambda discards an execution environment whose invocation timed out.
                Stop();
            }

            return result;
        }
        finally
        {
            _serial.Release();
        }
    }

    /// <summary>
    /// Kills the function process now (SIGKILL, as <c>kill -9</c>): an invocation in flight fails with
    /// <c>Runtime.ExitError</c> and the next one starts a new process. Safe to call from any thread.
    /// </summary>
    /// <returns>Whether a running process was killed.</returns>
    public bool Kill() => KillTree(Volatile.Read(ref _process));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Stop();
        await _server.DisposeAsync().ConfigureAwait(false);
        _serial.Dispose();
    }

    private static bool IsTimeout(LambdaInvocationResult result) =>
        System.Text.Encoding.UTF8.GetString(result.Payload.Span).Contains("Sandbox.Timedout", StringComparison.Ordinal);

    private void EnsureStarted()
    {
        if (_process is { HasExited: false })
        {
            return;
        }

        _process?.Dispose();
        var start = new ProcessStartInfo(_bootstrap)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(_bootstrap)!,
        };
        foreach (var (name, value) in _function.Environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["AWS_LAMBDA_RUNTIME_API"] = _server.RuntimeApi;
        start.Environment["AWS_LAMBDA_FUNCTION_NAME"] = _function.FunctionName;
        start.Environment["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
        start.Environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = _function.MemoryMb.ToString(CultureInfo.InvariantCulture);
        start.Environment["AWS_REGION"] = _function.Region;
        start.Environment["AWS_DEFAULT_REGION"] = _function.Region;
        start.Environment["_HANDLER"] = "bootstrap";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => WriteLog(e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(e.Data);
        process.Exited += (_, _) =>
        {
            int code;
            try
            {
                code = process.ExitCode;
            }
            catch (InvalidOperationException)
            {
                code = -1;
            }

            _server.FailAll("Runtime.ExitError", $"Runtime exited with error: exit status {code}");
        };
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start '{_bootstrap}'.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        ColdStarts++;
    }

    private void WriteLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logs)
        {
            _logs.WriteLine(line);
        }
    }

    private void Stop()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        if (KillTree(process))
        {
            process.WaitForExit(5000);
        }

        process.Dispose();
    }

    // SIGKILL to the process and its children, if it is still running.
    private static bool KillTree(Process? process)
    {
        try
        {
            if (process is null || process.HasExited)
            {
                return false;
            }

            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited (or disposed) meanwhile.
            return false;
        }
    }
}
