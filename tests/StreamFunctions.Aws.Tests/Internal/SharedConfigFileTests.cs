using StreamFunctions.Aws.Exceptions;
using StreamFunctions.Aws.Internal;

namespace StreamFunctions.Aws.Tests.Internal;

public sealed class SharedConfigFileTests
{
    [Fact]
    public void Parse_ServicesSection_ReadsIndentedSubProperties()
    {
        var file = SharedConfigFile.Parse("config", """
            [profile dev]
            services = dev-endpoints

            [services dev-endpoints]
            dynamodb =
              endpoint_url = http://localhost:8000
            s3 =
                endpoint_url = http://localhost:9000
            """);

        var services = file.Services("dev-endpoints");

        Assert.NotNull(services);
        Assert.Equal("http://localhost:8000", services.SubSections["dynamodb"]["endpoint_url"]);
        Assert.Equal("http://localhost:9000", services.SubSections["s3"]["endpoint_url"]);
        Assert.Equal("dev-endpoints", file.Profile("dev")?.Get("services"));
    }

    [Fact]
    public void Profile_Default_IsReadFromEitherHeaderForm()
    {
        var plain = SharedConfigFile.Parse("config", "[default]\nregion = eu-west-1\n");
        var prefixed = SharedConfigFile.Parse("config", "[profile default]\nregion = eu-west-2\n");

        Assert.Equal("eu-west-1", plain.Profile("default")?.Get("region"));
        Assert.Equal("eu-west-2", prefixed.Profile("default")?.Get("region"));
    }

    [Fact]
    public void Parse_Comments_AreSkippedButUrlFragmentsKept()
    {
        var file = SharedConfigFile.Parse("config", """
            # a comment
            ; another
            [default]
            region = eu-west-1 ; inline comment
            endpoint_url = http://host:1/a#b
            """);

        Assert.Equal("eu-west-1", file.Profile("default")?.Get("region"));
        Assert.Equal("http://host:1/a#b", file.Profile("default")?.Get("endpoint_url"));
    }

    [Fact]
    public void Parse_SectionHeaderFollowedByComment_IsRead()
    {
        var file = SharedConfigFile.Parse("config", "[profile dev] # the dev account\nregion = eu-west-1\n[default] ; note\nregion = us-west-2\n");

        Assert.Equal("eu-west-1", file.Profile("dev")?.Get("region"));
        Assert.Equal("us-west-2", file.Profile("default")?.Get("region"));
    }

    [Fact]
    public void Parse_TextAfterSectionHeader_ThrowsWithFileAndLine()
    {
        var error = Assert.Throws<AwsConfigurationException>(() => SharedConfigFile.Parse("config", "[default] region = x\n"));

        Assert.StartsWith("config:1:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeysAreCaseInsensitiveAndCrLfTolerated()
    {
        var file = SharedConfigFile.Parse("config", "[default]\r\nRegion = eu-west-3\r\n");

        Assert.Equal("eu-west-3", file.Profile("default")?.Get("region"));
    }

    [Fact]
    public void Parse_UnclosedSectionHeader_ThrowsWithFileAndLine()
    {
        var error = Assert.Throws<AwsConfigurationException>(() => SharedConfigFile.Parse("/home/u/.aws/config", "[default]\nregion = x\n[profile broken\n"));

        Assert.StartsWith("/home/u/.aws/config:3:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_IsEmpty()
    {
        var file = SharedConfigFile.Load(Path.Combine(Path.GetTempPath(), "sfn-no-such-dir-" + Guid.NewGuid(), "config"));

        Assert.Null(file.Profile("default"));
    }
}
