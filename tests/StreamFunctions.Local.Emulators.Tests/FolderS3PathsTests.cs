using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators.Tests;

/// <summary>The folder store's one path check, without a server: names, lengths, and symbolic links resolved as the kernel does.</summary>
public sealed class FolderS3PathsTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "sfn-folder-s3-paths-" + Guid.NewGuid().ToString("N"));

    public FolderS3PathsTests()
    {
        Directory.CreateDirectory(Path.Combine(_parent, "out", "data"));
        File.WriteAllText(Path.Combine(_parent, "secret"), "outside");
    }

    private string Root => Path.Combine(_parent, "out");

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Theory]
    [InlineData("/data/a/b.json", "data", "a/b.json")]
    [InlineData("/data/a%2Fb?x=1", "data", "a/b")]
    [InlineData("/data%2Fa/b", "data/a", "b")]
    [InlineData("/data", "data", "")]
    [InlineData("/", "", "")]
    [InlineData("/data/%2E%2E/x", "data", "../x")]
    public void ParseTarget_SplitsBeforeDecoding(string target, string bucket, string key)
    {
        Assert.Equal((bucket, key), FolderS3Paths.ParseTarget(target));
    }

    [Theory]
    [InlineData("data%2Fa%2Fb", "data", "a/b")]
    [InlineData("/data/a%3Fb?versionId=1", "data", "a?b")]
    public void ParseCopySource_DecodedAsAWhole(string header, string bucket, string key)
    {
        Assert.Equal((bucket, key), FolderS3Paths.ParseCopySource(header));
    }

    [Theory]
    [InlineData(".uploads")]
    [InlineData("..")]
    [InlineData("ab")]
    [InlineData("Data")]
    [InlineData("a..b")]
    [InlineData("-ab")]
    [InlineData("192.168.0.1")]
    [InlineData("dat/a")]
    public void BucketFolder_InvalidName_InvalidBucketName(string bucket)
    {
        var error = Assert.Throws<S3RequestException>(() => CreateSut().BucketFolder(bucket));

        Assert.Equal(("InvalidBucketName", 400), (error.ErrorCode, error.StatusCode));
    }

    [Theory]
    [InlineData("a//b", "InvalidArgument")]
    [InlineData("a/", "InvalidArgument")]
    [InlineData("./a", "InvalidArgument")]
    [InlineData("a/../../b", "InvalidArgument")]
    [InlineData("a\\b", "InvalidArgument")]
    [InlineData("a\0b", "InvalidArgument")]
    public void ObjectFile_KeyThatCannotBeAFile_Refused(string key, string code)
    {
        var error = Assert.Throws<S3RequestException>(() => CreateSut().ObjectFile("data", key));

        Assert.Equal(code, error.ErrorCode);
    }

    [Fact]
    public void ObjectFile_LongKeys_KeyTooLongErrorAtTheLimits()
    {
        var sut = CreateSut();

        Assert.EndsWith(new string('a', 255), sut.ObjectFile("data", new string('a', 255)), StringComparison.Ordinal);
        Assert.Equal("KeyTooLongError", Assert.Throws<S3RequestException>(() => sut.ObjectFile("data", new string('a', 256))).ErrorCode);
        Assert.Equal("KeyTooLongError", Assert.Throws<S3RequestException>(() => sut.ObjectFile("data", string.Join('/', Enumerable.Repeat("k", 513)))).ErrorCode);
    }

    [Fact]
    public void ObjectFile_LinkChainThatEscapesOnlyWhenResolvedAsTheKernelDoes_AccessDenied()
    {
        // data/alias -> out/z; z/x -> ../../secret. Read lexically from data/alias, ../../secret is out/secret (inside);
        // the kernel resolves it from out/z, which is the parent's secret.
        Directory.CreateDirectory(Path.Combine(Root, "z"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "data", "alias"), Path.Combine(Root, "z"));
        File.CreateSymbolicLink(Path.Combine(Root, "z", "x"), Path.Combine("..", "..", "secret"));
        Assert.Equal("outside", File.ReadAllText(Path.Combine(Root, "data", "alias", "x")));

        var error = Assert.Throws<S3RequestException>(() => CreateSut().ObjectFile("data", "alias/x"));

        Assert.Equal(("AccessDenied", 403), (error.ErrorCode, error.StatusCode));
    }

    [Fact]
    public void ObjectFile_LinkLoop_AccessDeniedNotAHang()
    {
        File.CreateSymbolicLink(Path.Combine(Root, "data", "a"), "b");
        File.CreateSymbolicLink(Path.Combine(Root, "data", "b"), "a");

        var error = Assert.Throws<S3RequestException>(() => CreateSut().ObjectFile("data", "a"));

        Assert.Equal("AccessDenied", error.ErrorCode);
    }

    [Fact]
    public void Paths_RootReachedThroughALink_StillServed()
    {
        var linkedRoot = Path.Combine(_parent, "linked-out");
        Directory.CreateSymbolicLink(linkedRoot, Root);
        var sut = new FolderS3Paths(linkedRoot);

        Assert.Equal(Path.Combine(linkedRoot, "data", "k"), sut.ObjectFile("data", "k"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("tmp")]
    [InlineData("../../etc")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    public void UploadFolder_NotAnIdThisStoreGives_NoSuchUpload(string? id)
    {
        var error = Assert.Throws<S3RequestException>(() => CreateSut().UploadFolder(id));

        Assert.Equal(("NoSuchUpload", 404), (error.ErrorCode, error.StatusCode));
    }

    private FolderS3Paths CreateSut() => new(Root);
}
