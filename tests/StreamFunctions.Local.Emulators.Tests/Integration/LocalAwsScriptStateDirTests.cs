using StreamFunctions.Aws;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.Emulators.Tests.Integration;

/// <summary>
/// What <c>scripts/local-aws.sh</c> removes from a <c>--state-dir</c>: only what its <c>up</c> listed in its marker as
/// created there, never a file that merely has one of the names it uses (<c>state.json</c>, <c>s3-data</c>,
/// <c>*.log</c>, <c>.local-aws</c>), nor a folder it did not make.
/// </summary>
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class LocalAwsScriptStateDirTests : IDisposable
{
    private readonly string _script = RepositoryLayout.FindLocalAwsScript(EnvironmentVariables.Process);
    private readonly string _dir = Directory.CreateTempSubdirectory("sfn-state-dir-").FullName;

    [Fact]
    public async Task Down_InAFolderUpDidNotMark_RemovesNothingOfTheNamesItUses()
    {
        var before = await WriteFilesOfTheScriptsNamesAsync(marker: "created by scripts/local-aws.sh; its down command removes only its own files\n");

        var down = await RunAsync("down", "--state-dir", _dir);

        Assert.True(down.ExitCode == 0, down.Stderr);
        Assert.Equal(before, Contents());
    }

    [Fact]
    public async Task Up_InAFolderHoldingFilesOfTheNamesItUses_RefusesInOneLineAndLeavesThem()
    {
        var before = await WriteFilesOfTheScriptsNamesAsync(marker: null);

        var up = await RunAsync("up", "--state-dir", _dir, "--services", "dynamodb");
        if (up.ExitCode == 0)
        {
            await RunAsync("down", "--state-dir", _dir); // an up that took the folder must not leave its emulator running
        }

        Assert.Equal(2, up.ExitCode);
        var line = Assert.Single(up.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"local-aws: --state-dir {_dir} already holds files local-aws did not write (", line, StringComparison.Ordinal);
        Assert.Equal(before, Contents());
    }

    [Fact]
    public async Task UpThenDown_InAnEmptyFolderOfTheUsers_LeavesTheFolderEmpty()
    {
        var up = await RunAsync("up", "--state-dir", _dir, "--services", "dynamodb");
        Assert.True(up.ExitCode == 0, up.Stderr);

        var down = await RunAsync("down", "--state-dir", _dir);

        Assert.True(down.ExitCode == 0, down.Stderr);
        Assert.True(Directory.Exists(_dir), "down removed a folder up did not make");
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A user's files under the names the script writes (a state file whose emulators are gone, S3 data, logs), and a
    // marker when given: the folder's contents afterwards.
    private async Task<List<string>> WriteFilesOfTheScriptsNamesAsync(string? marker)
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "state.json"), """{"version":1,"services":{},"watcherPid":0}""");
        Directory.CreateDirectory(Path.Combine(_dir, "s3-data", "bucket"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "s3-data", "bucket", "object"), "the user's");
        await File.WriteAllTextAsync(Path.Combine(_dir, "kinesis.log"), "the user's");
        if (marker is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(_dir, ".local-aws"), marker);
        }

        return Contents();
    }

    private List<string> Contents() =>
        [.. Directory.EnumerateFileSystemEntries(_dir, "*", SearchOption.AllDirectories).Select(e => Path.GetRelativePath(_dir, e)).Order(StringComparer.Ordinal)];

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments) =>
        LocalAwsEmulatorsIntegrationTests.RunRawAsync("bash", [_script, .. arguments]);
}
