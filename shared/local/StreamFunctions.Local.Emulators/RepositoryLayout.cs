using StreamFunctions.Aws;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators;

/// <summary>Finds the repository's files from wherever a test host or the CLI runs.</summary>
public static class RepositoryLayout
{
    /// <summary>The emulator script, relative to the repository root.</summary>
    public const string LocalAwsScript = "scripts/local-aws.sh";

    /// <summary>The variable that names the script explicitly.</summary>
    public const string ScriptVariable = "SFN_LOCAL_AWS_SCRIPT";

    /// <summary>
    /// Returns the repository root: the nearest folder, from the current folder up and then from the
    /// application's folder up, that holds <see cref="LocalAwsScript"/>; <see langword="null"/> if none.
    /// </summary>
    public static string? FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, LocalAwsScript)))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>Returns the path of the emulator script.</summary>
    /// <param name="environment">Where <see cref="ScriptVariable"/> is read.</param>
    /// <exception cref="LocalAwsException">The variable names a missing file, or no repository root is found.</exception>
    public static string FindLocalAwsScript(IEnvironmentVariables environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.GetValue(ScriptVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? Path.GetFullPath(configured)
                : throw new LocalAwsException($"{ScriptVariable} = '{configured}' does not exist.");
        }

        var root = FindRoot() ?? throw new LocalAwsException(
            $"Cannot find {LocalAwsScript} above '{Directory.GetCurrentDirectory()}' or '{AppContext.BaseDirectory}': " +
            $"run from the StreamFunctions repository, or set {ScriptVariable}.");
        return Path.Combine(root, LocalAwsScript);
    }
}
