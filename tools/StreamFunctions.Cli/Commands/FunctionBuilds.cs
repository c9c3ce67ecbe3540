using System.Diagnostics;

namespace StreamFunctions.Cli.Commands;

/// <summary>Finds the repository and builds a function under functions/ into its <c>bootstrap</c>.</summary>
internal static class FunctionBuilds
{
    public static async Task<string> BuildAsync(string function, TextWriter error, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot();
        var project = Path.Combine(root, "functions", function, function + ".csproj");
        if (!File.Exists(project))
        {
            var known = Directory.Exists(Path.Combine(root, "functions"))
                ? string.Join(", ", Directory.GetDirectories(Path.Combine(root, "functions")).Select(Path.GetFileName).Order(StringComparer.Ordinal))
                : "none";
            throw new InvalidOperationException($"no function '{function}' (no {project}); functions: {known}.");
        }

        await error.WriteLineAsync($"sfn invoke: building {Path.GetRelativePath(root, project)}...").ConfigureAwait(false);
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var log = build.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = build.StandardError.ReadToEndAsync(cancellationToken);
        await build.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"building {function} failed:\n{await log.ConfigureAwait(false)}{await errors.ConfigureAwait(false)}");
        }

        return Path.Combine(root, "functions", function, "bin", "Release", "net10.0", "bootstrap");
    }

    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "StreamFunctions.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("run sfn invoke inside the StreamFunctions repository (no StreamFunctions.sln found above here).");
    }
}
