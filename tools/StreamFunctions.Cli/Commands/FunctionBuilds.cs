using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace StreamFunctions.Cli.Commands;

/// <summary>Compiles a function project: <c>dotnet build</c> in Release, or a stand-in in tests.</summary>
internal interface IFunctionCompiler
{
    /// <summary>Builds the project; throws <see cref="InvalidOperationException"/> with the build's output when it fails.</summary>
    Task CompileAsync(string project, CancellationToken cancellationToken);
}

/// <summary>
/// Finds the repository and builds a function under functions/ into its <c>bootstrap</c>, once: the build is
/// reused while the function's sources are unchanged. What counts as its sources is the project, every project it
/// references (followed through their <c>ProjectReference</c>s), every file in those projects' folders but
/// <c>bin/</c> and <c>obj/</c>, and the repository's build files (Directory.Build.props, Directory.Packages.props,
/// global.json, BannedSymbols.txt, .editorconfig). Their paths and contents are hashed into a stamp beside the
/// bootstrap; a matching stamp and an existing bootstrap mean no build (about 20 ms of hashing instead of a
/// 30–150 s <c>dotnet build</c>).
/// </summary>
internal static class FunctionBuilds
{
    private const string StampFile = ".sfn-build-stamp";
    private static readonly string[] BuildFiles = ["Directory.Build.props", "Directory.Packages.props", "global.json", "BannedSymbols.txt", ".editorconfig"];

    /// <summary>Builds with <c>dotnet build -c Release</c>.</summary>
    public static IFunctionCompiler Dotnet { get; } = new DotnetBuild();

    public static async Task<string> BuildAsync(string root, string function, IFunctionCompiler compiler, bool rebuild, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compiler);
        ArgumentNullException.ThrowIfNull(error);
        var project = Path.Combine(root, "functions", function, function + ".csproj");
        if (function.Length == 0 || function.IndexOfAny(['/', '\\']) >= 0 || function is "." or ".." || !File.Exists(project))
        {
            var known = Directory.Exists(Path.Combine(root, "functions"))
                ? string.Join(", ", Directory.GetDirectories(Path.Combine(root, "functions")).Select(Path.GetFileName).Order(StringComparer.Ordinal))
                : "none";
            throw new InvalidOperationException($"no function '{function}' (no {project}); functions: {known}.");
        }

        var output = Path.Combine(root, "functions", function, "bin", "Release", "net10.0");
        var bootstrap = Path.Combine(output, "bootstrap");
        var stampPath = Path.Combine(output, StampFile);
        var relative = Path.GetRelativePath(root, project);
        var sources = await SourceStampAsync(root, project, cancellationToken).ConfigureAwait(false);

        // The stamp also names the bootstrap it vouches for: a bootstrap built since by other means (another checkout's
        // sources, say) is not taken for this build.
        if (!rebuild && File.Exists(bootstrap) && File.Exists(stampPath) && await File.ReadAllTextAsync(stampPath, cancellationToken).ConfigureAwait(false) == Stamp(sources, bootstrap))
        {
            await error.WriteLineAsync($"sfn invoke: {relative} is up to date (its sources are unchanged since the last build); not rebuilding (--rebuild forces a build).").ConfigureAwait(false);
            return bootstrap;
        }

        await error.WriteLineAsync($"sfn invoke: building {relative}{(rebuild ? " (--rebuild)" : File.Exists(stampPath) ? " (its sources changed)" : string.Empty)}...").ConfigureAwait(false);
        await compiler.CompileAsync(project, cancellationToken).ConfigureAwait(false);
        if (!File.Exists(bootstrap))
        {
            throw new InvalidOperationException($"building {function} produced no {Path.GetRelativePath(root, bootstrap)}.");
        }

        await File.WriteAllTextAsync(stampPath, Stamp(sources, bootstrap), cancellationToken).ConfigureAwait(false);
        return bootstrap;
    }

    private static string Stamp(string sources, string bootstrap)
    {
        var built = new FileInfo(bootstrap);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"sources {sources}\nbootstrap {built.Length} {built.LastWriteTimeUtc.Ticks}\n");
    }

    /// <summary>A hash of the paths and contents of everything a build of <paramref name="project"/> reads from the repository.</summary>
    internal static async Task<string> SourceStampAsync(string root, string project, CancellationToken cancellationToken)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in BuildFiles)
        {
            if (File.Exists(Path.Combine(root, name)))
            {
                files.Add(Path.Combine(root, name));
            }
        }

        foreach (var folder in ProjectFolders(project))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            {
                var inside = Path.GetRelativePath(folder, file).Split(Path.DirectorySeparatorChar);
                if (inside[0] is not ("bin" or "obj"))
                {
                    files.Add(file);
                }
            }
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file) + "\0"));
            hash.AppendData(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false));
            hash.AppendData("\0"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // The folders of the project and of every project it references, directly or not.
    private static IEnumerable<string> ProjectFolders(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next) || !File.Exists(next))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(next)!;
            foreach (var reference in XDocument.Load(next).Descendants().Where(e => e.Name.LocalName == "ProjectReference"))
            {
                if (reference.Attribute("Include")?.Value is { Length: > 0 } include)
                {
                    pending.Push(Path.GetFullPath(Path.Combine(folder, include.Replace('\\', Path.DirectorySeparatorChar))));
                }
            }
        }

        return seen.Select(p => Path.GetDirectoryName(p)!).Distinct(StringComparer.Ordinal);
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

    private sealed class DotnetBuild : IFunctionCompiler
    {
        public async Task CompileAsync(string project, CancellationToken cancellationToken)
        {
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
                throw new InvalidOperationException($"building {Path.GetFileNameWithoutExtension(project)} failed:\n{await log.ConfigureAwait(false)}{await errors.ConfigureAwait(false)}");
            }
        }
    }
}
