using System.Runtime.InteropServices;

namespace StreamFunctions.Cli.Tests.CommandLine;

/// <summary>What Ctrl-C and SIGTERM do to every command: the first stops it, the second ends the process at once.</summary>
public sealed class ConsoleInterruptionTests
{
    [Fact]
    public async Task Handle_FirstSigint_CancelsTheTokenInOneLineAndLetsTheCommandFinish()
    {
        using var error = new StringWriter();
        var exits = new List<int>();
        using var sut = new ConsoleInterruption(error, exits.Add, register: false);
        var signal = new PosixSignalContext(PosixSignal.SIGINT);

        sut.Handle(signal);

        await WhenCanceledAsync(sut.Token);
        Assert.True(signal.Cancel, "the signal's default action (ending the process) was not canceled");
        Assert.Empty(exits);
        Assert.Equal(130, sut.ExitCode);
        Assert.Contains("Ctrl-C again to exit at once", Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public void Handle_SecondSigint_ExitsAtOnceWith130()
    {
        using var error = new StringWriter();
        var exits = new List<int>();
        using var sut = new ConsoleInterruption(error, exits.Add, register: false);

        sut.Handle(new PosixSignalContext(PosixSignal.SIGINT));
        sut.Handle(new PosixSignalContext(PosixSignal.SIGINT));

        Assert.Equal([130], exits);
        Assert.Contains("exiting at once", error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_Sigterm_StopsTheCommandWithExitCode143()
    {
        using var error = new StringWriter();
        var exits = new List<int>();
        using var sut = new ConsoleInterruption(error, exits.Add, register: false);

        sut.Handle(new PosixSignalContext(PosixSignal.SIGTERM));

        await WhenCanceledAsync(sut.Token);
        Assert.Equal(143, sut.ExitCode);
        Assert.Empty(exits);
    }

    [Fact]
    public void ExitCode_NoSignal_IsNull()
    {
        using var sut = new ConsoleInterruption(TextWriter.Null, _ => Assert.Fail("exited"), register: false);

        Assert.Null(sut.ExitCode);
        Assert.False(sut.Token.IsCancellationRequested);
    }

    // The token is canceled off the signal's thread.
    private static Task WhenCanceledAsync(CancellationToken token)
    {
        var canceled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(canceled.SetResult);
        return canceled.Task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
    }
}
