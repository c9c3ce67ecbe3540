namespace StreamFunctions.Aws;

/// <summary>
/// Read access to environment variables. Everything in StreamFunctions reads the environment through
/// this seam (the direct <see cref="Environment"/> calls are banned by analyzer), so that settings can
/// be built from a test's dictionary or an emulator's variables without touching the process.
/// </summary>
public interface IEnvironmentVariables
{
    /// <summary>Returns the variable's value, or <see langword="null"/> when it is not set.</summary>
    /// <param name="name">The variable's name, case-sensitive as on Linux.</param>
    string? GetValue(string name);
}

/// <summary>Factory methods for <see cref="IEnvironmentVariables"/>.</summary>
public static class EnvironmentVariables
{
    /// <summary>The variables of this process.</summary>
    public static IEnvironmentVariables Process { get; } = new ProcessEnvironmentVariables();

    /// <summary>A fixed set of variables, for tests and for settings built from emulators' variables.</summary>
    /// <param name="variables">The variables; later changes to the dictionary are not seen.</param>
    public static IEnvironmentVariables From(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        return new DictionaryEnvironmentVariables(new Dictionary<string, string>(variables, StringComparer.Ordinal));
    }

    /// <summary>
    /// <paramref name="overrides"/> first, then <paramref name="fallback"/>: e.g. an emulator's endpoints
    /// over the process environment.
    /// </summary>
    /// <param name="overrides">Variables that win.</param>
    /// <param name="fallback">Where the other variables come from.</param>
    public static IEnvironmentVariables Overlay(IReadOnlyDictionary<string, string> overrides, IEnvironmentVariables fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        var top = From(overrides);
        return new OverlayEnvironmentVariables(top, fallback);
    }

    /// <summary>A setting: the variable's value, or <see langword="null"/> when it is unset or empty.</summary>
    /// <param name="environment">The variables.</param>
    /// <param name="name">The variable's name.</param>
    /// <returns>The value, or null.</returns>
    public static string? Setting(this IEnvironmentVariables environment, string name)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.GetValue(name) is { Length: > 0 } value ? value : null;
    }

    /// <summary>
    /// A setting given inline (<paramref name="name"/>) or as a file (<paramref name="fileName"/>, relative to
    /// the function's folder <c>LAMBDA_TASK_ROOT</c>, else this program's): the inline value wins.
    /// </summary>
    /// <param name="environment">The variables.</param>
    /// <param name="name">The variable holding the value, e.g. <c>ROUTER_RULES</c>.</param>
    /// <param name="fileName">The variable naming a file that holds it, e.g. <c>ROUTER_RULES_FILE</c>.</param>
    /// <returns>The value, the file's text, or null when neither is set.</returns>
    public static string? SettingOrFile(this IEnvironmentVariables environment, string name, string fileName)
    {
        if (environment.Setting(name) is { } value)
        {
            return value;
        }

        if (environment.Setting(fileName) is not { } file)
        {
            return null;
        }

        // Bounded before it is read: a configuration is at most MaxFileBytes, and a larger file is refused by its size.
        // What has no size (a pipe, /dev/zero) or grows while it is read is read to one byte past the limit, no further.
        var path = Path.IsPathRooted(file) ? file : Path.Combine(environment.Setting("LAMBDA_TASK_ROOT") ?? AppContext.BaseDirectory, file);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        if (stream.CanSeek && stream.Length > MaxFileBytes)
        {
            throw new Exceptions.AwsConfigurationException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{fileName} is '{file}'; it must be a file of at most {MaxFileBytes:N0} bytes (it has {stream.Length:N0})."));
        }

        var buffer = new byte[MaxFileBytes + 1];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = stream.Read(buffer, filled, buffer.Length - filled)) > 0)
        {
            filled += read;
        }

        if (filled > MaxFileBytes)
        {
            throw new Exceptions.AwsConfigurationException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{fileName} is '{file}'; it must be a file of at most {MaxFileBytes:N0} bytes (it holds more)."));
        }

        // As File.ReadAllText: UTF-8 unless a byte-order mark says otherwise, the mark dropped.
        using var reader = new StreamReader(new MemoryStream(buffer, 0, filled), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The largest file <see cref="SettingOrFile"/> reads: 1 MiB, the limit of every configuration's text.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private sealed class ProcessEnvironmentVariables : IEnvironmentVariables
    {
#pragma warning disable RS0030 // The one place that reads the process environment.
        public string? GetValue(string name) => Environment.GetEnvironmentVariable(name);
#pragma warning restore RS0030
    }

    private sealed class DictionaryEnvironmentVariables(Dictionary<string, string> variables) : IEnvironmentVariables
    {
        public string? GetValue(string name) => variables.TryGetValue(name, out var value) ? value : null;
    }

    private sealed class OverlayEnvironmentVariables(IEnvironmentVariables top, IEnvironmentVariables bottom) : IEnvironmentVariables
    {
        public string? GetValue(string name) => top.GetValue(name) ?? bottom.GetValue(name);
    }
}
