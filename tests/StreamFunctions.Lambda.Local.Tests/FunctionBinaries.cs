namespace StreamFunctions.Lambda.Local.Tests;

/// <summary>Finds the repository's functions and their build output.</summary>
internal static class FunctionBinaries
{
    public static string RepositoryRoot()
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

    public static string EchoBootstrap()
    {
        var path = Path.Combine(RepositoryRoot(), "functions", "Echo", "bin", "Release", "net10.0", "bootstrap");
        return File.Exists(path) ? path : throw new FileNotFoundException("functions/Echo is not built in Release (the test project builds it first).", path);
    }
}
