using StreamFunctions.Cli.Commands;

namespace StreamFunctions.Cli.Tests.Invoke;

/// <summary>
/// <c>sfn invoke</c> builds a function once and reuses the build while its sources are unchanged. The compiler is a
/// stand-in that writes the bootstrap and counts its calls; the repository is a small one in a temporary folder.
/// </summary>
public sealed class FunctionBuildsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-builds-" + Guid.NewGuid().ToString("N"));
    private readonly CountingCompiler _compiler = new();

    public FunctionBuildsTests()
    {
        Write("StreamFunctions.sln", string.Empty);
        Write("Directory.Build.props", "<Project />");
        Write("functions/Fn/Fn.csproj", "<Project><ItemGroup><ProjectReference Include=\"../../shared/Lib/Lib.csproj\" /></ItemGroup></Project>");
        Write("functions/Fn/Program.cs", "return 0;");
        Write("shared/Lib/Lib.csproj", "<Project><ItemGroup><ProjectReference Include=\"..\\Core\\Core.csproj\" /></ItemGroup></Project>");
        Write("shared/Lib/Thing.cs", "class Thing {}");
        Write("shared/Core/Core.csproj", "<Project />");
        Write("shared/Core/Base.cs", "class Base {}");
        Write("shared/Unrelated/Other.cs", "class Other {}");
    }

    [Fact]
    public async Task Build_SourcesUnchanged_BuildsOnceAndSaysSo()
    {
        using var error = new StringWriter();

        var first = await BuildAsync(error);
        var second = await BuildAsync(error);

        Assert.Equal(first, second);
        Assert.Equal(1, _compiler.Calls);
        Assert.Contains("building functions/Fn/Fn.csproj", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("functions/Fn/Fn.csproj is up to date", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("functions/Fn/Program.cs")]
    [InlineData("shared/Lib/Thing.cs")]
    [InlineData("shared/Core/Base.cs")]
    [InlineData("Directory.Build.props")]
    public async Task Build_ASourceOfTheFunctionOrItsReferencesChanged_BuildsAgain(string changed)
    {
        using var error = new StringWriter();
        await BuildAsync(error);

        Write(changed, "// changed");
        await BuildAsync(error);

        Assert.Equal(2, _compiler.Calls);
        Assert.Contains("(its sources changed)", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_AFileNoReferenceReachesOrABuildOutputChanged_IsReused()
    {
        using var error = new StringWriter();
        await BuildAsync(error);

        Write("shared/Unrelated/Other.cs", "// changed");
        Write("shared/Lib/obj/generated.cs", "// written by the build");
        await BuildAsync(error);

        Assert.Equal(1, _compiler.Calls);
    }

    [Fact]
    public async Task Build_BootstrapReplacedOrRebuildAsked_BuildsAgain()
    {
        using var error = new StringWriter();
        var bootstrap = await BuildAsync(error);

        File.SetLastWriteTimeUtc(bootstrap, File.GetLastWriteTimeUtc(bootstrap).AddMinutes(1));
        await BuildAsync(error);
        await BuildAsync(error, rebuild: true);

        Assert.Equal(3, _compiler.Calls);
    }

    [Fact]
    public async Task Build_NameThatIsAPath_IsRefusedListingTheFunctions()
    {
        using var error = new StringWriter();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => FunctionBuilds.BuildAsync(_root, "../shared/Lib", _compiler, rebuild: false, error, CancellationToken.None));

        Assert.Contains("functions: Fn", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _compiler.Calls);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<string> BuildAsync(TextWriter error, bool rebuild = false) =>
        FunctionBuilds.BuildAsync(_root, "Fn", _compiler, rebuild, error, CancellationToken.None);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_root, relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private sealed class CountingCompiler : IFunctionCompiler
    {
        public int Calls { get; private set; }

        public Task CompileAsync(string project, CancellationToken cancellationToken)
        {
            Calls++;
            var output = Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0");
            Directory.CreateDirectory(output);
            File.WriteAllText(Path.Combine(output, "bootstrap"), $"build {Calls}");
            return Task.CompletedTask;
        }
    }
}
