namespace StreamFunctions.Testing;

/// <summary>Where the repository and its functions' build outputs are, from a test's output folder.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding StreamFunctions.sln.</summary>
    /// <returns>The absolute path.</returns>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No StreamFunctions.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>A function's Release build output (its apphost <c>bootstrap</c>); the test project must build it first.</summary>
    /// <param name="function">The folder under functions/.</param>
    /// <returns>The executable's path.</returns>
    public static string FunctionBootstrap(string function)
    {
        var path = Path.Combine(Root(), "functions", function, "bin", "Release", "net10.0", "bootstrap");
        return File.Exists(path) ? path : throw new FileNotFoundException($"functions/{function} is not built in Release (reference its project from the test project).", path);
    }
}
