using StreamFunctions.Aws;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators.Tests;

public sealed class RepositoryLayoutTests
{
    [Fact]
    public void FindRoot_FromTheTestHost_FindsTheRepositoryWithTheScript()
    {
        var root = RepositoryLayout.FindRoot();

        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "scripts", "local-aws.sh")));
        Assert.True(File.Exists(Path.Combine(root, "StreamFunctions.sln")));
    }

    [Fact]
    public void FindLocalAwsScript_WithVariableNamingAMissingFile_ThrowsNamingTheVariable()
    {
        var env = EnvironmentVariables.From(new Dictionary<string, string> { [RepositoryLayout.ScriptVariable] = "/nonexistent/local-aws.sh" });

        var error = Assert.Throws<LocalAwsException>(() => RepositoryLayout.FindLocalAwsScript(env));

        Assert.Contains("SFN_LOCAL_AWS_SCRIPT = '/nonexistent/local-aws.sh'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindLocalAwsScript_WithoutVariable_ReturnsTheRepositoryScript()
    {
        var script = RepositoryLayout.FindLocalAwsScript(EnvironmentVariables.From(new Dictionary<string, string>()));

        Assert.Equal(Path.Combine(RepositoryLayout.FindRoot()!, "scripts", "local-aws.sh"), script);
    }
}
