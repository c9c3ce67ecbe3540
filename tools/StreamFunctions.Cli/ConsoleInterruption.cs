using System.Runtime.InteropServices;

namespace StreamFunctions.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM for every command, in place of System.CommandLine's handler. That handler (2.0.0) cancels
/// the command's token and, after <c>ProcessTerminationTimeout</c> (2 s by default), returns 130 from <c>InvokeAsync</c>
/// while the command still runs: <c>Main</c> ends and the process dies mid-work, with no message, no summary and its
/// temporary folders left. Here the first signal says so on one line and cancels <see cref="Token"/>, and the command
/// decides how to stop (<c>sfn run</c>: no new gateway requests, delivers what the gateway acknowledged, prints the
/// summary, removes its temporary log); the process then exits with <see cref="ExitCode"/>. A second signal exits at once.
/// </summary>
/// <remarks>.NET leaves SIGINT alone when the process was started with it ignored (a background job of a shell without job
/// control, <c>nohup</c>); Ctrl-C then does nothing, as for any program started that way.</remarks>
internal sealed class ConsoleInterruption : IDisposable
{
    /// <summary>The exit code after SIGINT (128 + 2, as shells report a process killed by it).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>The exit code after SIGTERM (128 + 15).</summary>
    public const int TerminatedExitCode = 143;

    private readonly TextWriter _error;
    private readonly Action<int> _exit;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _signals;
    private int _exitCode;

    /// <summary>Takes SIGINT and SIGTERM.</summary>
    /// <param name="error">Where the one-line notices go.</param>
    /// <param name="exit">Ends the process at once, with a code (<see cref="Environment.Exit"/>; tests pass their own).</param>
    /// <param name="register">Whether to register the signal handlers (tests call <see cref="Handle"/> themselves).</param>
    public ConsoleInterruption(TextWriter error, Action<int>? exit = null, bool register = true)
    {
        _error = error;
        _exit = exit ?? Environment.Exit;
        if (register)
        {
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
        }
    }

    /// <summary>Canceled by the first signal: stop starting work, finish what must be finished.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>130 after SIGINT, 143 after SIGTERM; null while no signal came.</summary>
    public int? ExitCode => Volatile.Read(ref _exitCode) is var code and not 0 ? code : null;

    /// <summary>What a signal does: the first stops the command, the next ends the process.</summary>
    /// <param name="context">The signal; its default action (ending the process) is canceled.</param>
    public void Handle(PosixSignalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Cancel = true;
        var code = context.Signal == PosixSignal.SIGTERM ? TerminatedExitCode : InterruptedExitCode;
        if (Interlocked.Increment(ref _signals) == 1)
        {
            Volatile.Write(ref _exitCode, code);
            _error.WriteLine("sfn: interrupted: stopping once what is under way is done (Ctrl-C again to exit at once)");
            _error.Flush();

            // Off the signal's thread: the token's callbacks must not keep a second signal from being handled.
            _ = _stop.CancelAsync();
            return;
        }

        _error.WriteLine("sfn: interrupted again: exiting at once, without cleaning up");
        _error.Flush();
        _exit(code);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }
}
