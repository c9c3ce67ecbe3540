using StreamFunctions.Cli.Run;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>The folders <c>sfn run</c> clears or removes: only ones it made (they carry its marker), and only its own entries in them.</summary>
public sealed class OwnedFolderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sfn-owned-" + Guid.NewGuid().ToString("N"));

    public OwnedFolderTests() => Directory.CreateDirectory(_root);

    [Fact]
    public void ClaimOutput_MissingFolder_CreatesItWithTheMarker()
    {
        var path = Path.Combine(_root, "out");

        using var sut = OwnedFolder.ClaimOutput(path);

        Assert.True(File.Exists(Path.Combine(path, OwnedFolder.MarkerName)));
        Assert.Empty(sut.Outputs);
    }

    [Fact]
    public void Dispose_NoOutputListedInAFolderItMade_RemovesTheMarkerAndTheFoldersItMade()
    {
        var path = Path.Combine(_root, "a", "b", "out");

        OwnedFolder.ClaimOutput(path).Dispose();

        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public void Dispose_NoOutputListedInAnEmptyFolderItFound_RemovesOnlyTheMarker()
    {
        OwnedFolder.ClaimOutput(_root).Dispose();

        Assert.True(Directory.Exists(_root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public void Dispose_NoOutputListedButSomeoneWroteInTheFolder_LeavesTheirFile()
    {
        var path = Path.Combine(_root, "out");
        var sut = OwnedFolder.ClaimOutput(path);
        File.WriteAllText(Path.Combine(path, "notes.txt"), "the user's");

        sut.Dispose();

        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName));
    }

    [Fact]
    public void Dispose_OnceAnOutputIsListed_KeepsTheFolderAndItsMarker()
    {
        var path = Path.Combine(_root, "out");
        using (var sut = OwnedFolder.ClaimOutput(path))
        {
            sut.ReplaceOutputs(["bucket"]);
        }

        using var next = OwnedFolder.ClaimOutput(path);
        Assert.Equal(["bucket"], next.Outputs);
    }

    [Fact]
    public void ClaimOutput_FolderHoldingFilesAndNoMarker_RefusesAndWritesNothing()
    {
        File.WriteAllText(Path.Combine(_root, "Program.cs"), "// mine");

        var refused = Assert.Throws<RunRefusedException>(() => OwnedFolder.ClaimOutput(_root));

        Assert.Contains("did not create", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["Program.cs"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void ClaimOutput_FolderAnotherRunHolds_Refuses()
    {
        var path = Path.Combine(_root, "out");
        using var first = OwnedFolder.ClaimOutput(path);

        var refused = Assert.Throws<RunRefusedException>(() => OwnedFolder.ClaimOutput(path));

        Assert.Contains("in use by another sfn run", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClaimOutput_MarkerNotWrittenBySfnRun_Refuses()
    {
        File.WriteAllText(Path.Combine(_root, OwnedFolder.MarkerName), "something else\nsrc\n");

        var refused = Assert.Throws<RunRefusedException>(() => OwnedFolder.ClaimOutput(_root));

        Assert.Contains("not an sfn run output marker", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplaceOutputs_MarkedFolder_RemovesOnlyTheListedEntriesAndNeverFollowsALink()
    {
        var path = Path.Combine(_root, "out");
        var outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "precious.txt"), "keep");
        using (var run = OwnedFolder.ClaimOutput(path))
        {
            run.ReplaceOutputs(["bucket", "linked"]);
            Directory.CreateDirectory(Path.Combine(path, "bucket", "key"));
            File.WriteAllText(Path.Combine(path, "bucket", "key", "object"), "output");
            Directory.CreateSymbolicLink(Path.Combine(path, "bucket", "into-outside"), outside);
            Directory.CreateSymbolicLink(Path.Combine(path, "linked"), outside);
        }

        File.WriteAllText(Path.Combine(path, "notes.txt"), "the user's");
        File.AppendAllText(Path.Combine(path, OwnedFolder.MarkerName), "../outside\n");

        using var sut = OwnedFolder.ClaimOutput(path);
        var listed = sut.Outputs;
        sut.ReplaceOutputs(["bucket"]);

        Assert.Equal(["bucket", "linked"], listed);
        Assert.Equal([OwnedFolder.MarkerName, "notes.txt"], Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "precious.txt")));
    }

    [Fact]
    public void ReplaceOutputs_AnEntryTheMarkerDoesNotList_RefusesNamingItAndTouchesNothing()
    {
        var path = Path.Combine(_root, "out");
        using (var earlier = OwnedFolder.ClaimOutput(path))
        {
            earlier.ReplaceOutputs(["bucket"]);
            Directory.CreateDirectory(Path.Combine(path, "bucket"));
        }

        var own = Directory.CreateDirectory(Path.Combine(path, "mydata")).FullName;
        File.WriteAllText(Path.Combine(own, "data.csv"), "the user's");
        using var sut = OwnedFolder.ClaimOutput(path);

        var refused = Assert.Throws<RunRefusedException>(() => sut.ReplaceOutputs(["mydata"]));

        Assert.Contains("already holds mydata, which sfn run did not create", refused.Message, StringComparison.Ordinal);
        Assert.Equal("the user's", File.ReadAllText(Path.Combine(own, "data.csv")));
        Assert.True(Directory.Exists(Path.Combine(path, "bucket")), "the earlier run's output was removed by a refused run");
        Assert.Equal(["bucket"], sut.Outputs);
    }

    [Fact]
    public void ReplaceOutputs_AnEntryTheMarkerListsAlready_IsReplaced()
    {
        var path = Path.Combine(_root, "out");
        using (var earlier = OwnedFolder.ClaimOutput(path))
        {
            earlier.ReplaceOutputs(["bucket"]);
            File.WriteAllText(Path.Combine(path, "bucket"), "the earlier run's");
        }

        using var sut = OwnedFolder.ClaimOutput(path);
        sut.ReplaceOutputs(["bucket"]);

        Assert.False(File.Exists(Path.Combine(path, "bucket")));
    }

    [Fact]
    public void CreateTemporary_Disposed_RemovesTheFolderWithItsContents()
    {
        var sut = OwnedFolder.CreateTemporary("sfn-owned-test-");
        File.WriteAllText(Path.Combine(sut.Path, "catalog.json"), "{}");

        sut.Dispose();

        Assert.False(Directory.Exists(sut.Path));
    }

    [Fact]
    public void CreateTemporary_MarkerGoneWhenDisposed_LeavesTheFolder()
    {
        var sut = OwnedFolder.CreateTemporary("sfn-owned-test-");
        try
        {
            File.Delete(Path.Combine(sut.Path, OwnedFolder.MarkerName));
            File.WriteAllText(Path.Combine(sut.Path, "someone-elses"), "x");

            sut.Dispose();

            Assert.True(File.Exists(Path.Combine(sut.Path, "someone-elses")));
        }
        finally
        {
            Directory.Delete(sut.Path, recursive: true);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
