using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using StreamFunctions.Aws;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators;

/// <summary>
/// Running local emulators (Kinesis, DynamoDB, S3) on free loopback ports, started through
/// <c>scripts/local-aws.sh</c>; disposing stops them by pid. Each instance has its own state folder, so
/// instances in parallel processes never collide.
/// </summary>
public sealed class LocalAwsEmulators : IAsyncDisposable
{
    private readonly string _scriptPath;
    private int _stopped;

    private LocalAwsEmulators(string scriptPath, string stateDirectory, IReadOnlyDictionary<string, string> variables, IReadOnlyDictionary<string, EmulatorProcess> processes)
    {
        _scriptPath = scriptPath;
        StateDirectory = stateDirectory;
        Variables = variables;
        Processes = processes;

        // Hermetic: only the emulators' variables, and config files that do not exist, so that nothing in
        // the user's environment or ~/.aws (a profile's endpoint, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, a
        // session token) bends these settings away from the emulators.
        var hermetic = new Dictionary<string, string>(variables, StringComparer.Ordinal)
        {
            ["AWS_CONFIG_FILE"] = Path.Combine(stateDirectory, "no-aws-config"),
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(stateDirectory, "no-aws-credentials"),
        };
        Settings = AwsSettings.FromEnvironment(EnvironmentVariables.From(hermetic));
    }

    /// <summary>The folder holding the emulators' pids, ports, logs and S3 data.</summary>
    public string StateDirectory { get; }

    /// <summary>
    /// The variables a process needs to use the emulators: <c>AWS_ENDPOINT_URL_*</c>, region and keys
    /// (what <c>scripts/local-aws.sh env</c> prints).
    /// </summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>The emulator processes by service name (<c>kinesis</c>, <c>dynamodb</c>, <c>s3</c>).</summary>
    public IReadOnlyDictionary<string, EmulatorProcess> Processes { get; }

    /// <summary>Settings that point every started service at its emulator.</summary>
    public AwsSettings Settings { get; }

    /// <summary>Starts the emulators and waits until each answers.</summary>
    /// <param name="options">What to start and where; the defaults when <see langword="null"/>.</param>
    /// <param name="environment">Where <c>SFN_LOCAL_AWS_SCRIPT</c> is read; the process environment when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the start; what was started is stopped again.</param>
    /// <exception cref="LocalAwsException">The script is missing, or an emulator did not start (the message has its log).</exception>
    public static async Task<LocalAwsEmulators> StartAsync(LocalAwsOptions? options = null, IEnvironmentVariables? environment = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalAwsOptions();
        var script = options.ScriptPath ?? RepositoryLayout.FindLocalAwsScript(environment ?? EnvironmentVariables.Process);
        var stateDirectory = Path.GetFullPath(options.StateDirectory
            ?? Path.Combine(Path.GetTempPath(), "sfn-local-aws-" + Guid.NewGuid().ToString("N")[..12]));

        List<string> arguments = ["up", "--state-dir", stateDirectory, "--json",
            "--services", string.Join(',', options.Services),
            "--timeout", ((int)Math.Ceiling(options.StartTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture)];
        if (options.StopWithProcess)
        {
            arguments.AddRange(["--owner-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        }

        ScriptResult result;
        try
        {
            result = await RunScriptAsync(script, arguments, options.StartTimeout + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or LocalAwsException)
        {
            await RunScriptAsync(script, ["down", "--state-dir", stateDirectory], TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        if (result.ExitCode != 0)
        {
            throw new LocalAwsException($"'{script} up' failed with exit code {result.ExitCode}:{Environment.NewLine}{result.Stderr.Trim()}");
        }

        try
        {
            return Parse(script, result.Stdout);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            await RunScriptAsync(script, ["down", "--state-dir", stateDirectory], TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
            throw new LocalAwsException($"'{script} up' printed output that is not its JSON description: {e.Message}{Environment.NewLine}{result.Stdout}", e);
        }
    }

    /// <summary>Stops the emulators (by pid) and removes the state folder. Safe to call more than once.</summary>
    /// <param name="cancellationToken">Cancels waiting; the emulators' watchdog still stops them when this process exits.</param>
    /// <exception cref="LocalAwsException">The script failed to stop them.</exception>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        var result = await RunScriptAsync(_scriptPath, ["down", "--state-dir", StateDirectory], TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new LocalAwsException($"'{_scriptPath} down' failed with exit code {result.ExitCode}:{Environment.NewLine}{result.Stderr.Trim()}");
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    internal static LocalAwsEmulators Parse(string script, string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var stateDirectory = root.GetProperty("stateDir").GetString() ?? throw new InvalidOperationException("stateDir is null");
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in root.GetProperty("variables").EnumerateObject())
        {
            variables[variable.Name] = variable.Value.GetString() ?? throw new InvalidOperationException($"variable {variable.Name} is null");
        }

        var processes = new Dictionary<string, EmulatorProcess>(StringComparer.Ordinal);
        foreach (var service in root.GetProperty("services").EnumerateObject())
        {
            processes[service.Name] = new EmulatorProcess(
                service.Name,
                service.Value.GetProperty("pid").GetInt32(),
                new Uri(service.Value.GetProperty("endpoint").GetString() ?? throw new InvalidOperationException($"{service.Name} has no endpoint")));
        }

        return new LocalAwsEmulators(script, stateDirectory, variables, processes);
    }

    private static async Task<ScriptResult> RunScriptAsync(string script, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LocalAwsException($"Cannot run bash to start '{script}': {e.Message}", e);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new LocalAwsException($"'{script} {string.Join(' ', startInfo.ArgumentList.Skip(1))}' did not finish within {timeout.TotalSeconds:0} s.");
        }

        return new ScriptResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private sealed record ScriptResult(int ExitCode, string Stdout, string Stderr);
}

/// <summary>One running emulator.</summary>
/// <param name="Service">The service it emulates: <c>kinesis</c>, <c>dynamodb</c> or <c>s3</c>.</param>
/// <param name="ProcessId">Its process id.</param>
/// <param name="Endpoint">Its loopback endpoint.</param>
public sealed record EmulatorProcess(string Service, int ProcessId, Uri Endpoint);
