using Amazon;
using Amazon.Runtime;
using Amazon.S3;

namespace StreamFunctions.Aws.Tests;

public sealed class AwsClientFactoryTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    private AwsClientFactory CreateSut() =>
        new(_env.Set("AWS_ACCESS_KEY_ID", "A").Set("AWS_SECRET_ACCESS_KEY", "B").Settings());

    [Fact]
    public void CreateS3Client_WithCustomEndpoint_UsesItPathStyleWithRequiredChecksumsOnly()
    {
        _env.Set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000").Set("AWS_REGION", "eu-west-1");

        using var client = CreateSut().CreateS3Client();
        var config = (AmazonS3Config)client.Config;

        Assert.Equal("http://127.0.0.1:9000/", config.ServiceURL);
        Assert.Equal("eu-west-1", config.AuthenticationRegion);
        Assert.True(config.ForcePathStyle);
        Assert.True(config.IgnoreConfiguredEndpointUrls);
        Assert.Equal(RequestChecksumCalculation.WHEN_REQUIRED, config.RequestChecksumCalculation);
    }

    [Fact]
    public void CreateS3Client_OnAws_UsesRegionEndpointAndSdkDefaults()
    {
        _env.Set("AWS_REGION", "eu-west-1");

        using var client = CreateSut().CreateS3Client();
        var config = (AmazonS3Config)client.Config;

        Assert.Null(config.ServiceURL);
        Assert.Equal(RegionEndpoint.EUWest1, config.RegionEndpoint);
        Assert.False(config.ForcePathStyle);
        Assert.Equal(RequestChecksumCalculation.WHEN_SUPPORTED, config.RequestChecksumCalculation);
    }

    [Fact]
    public void CreateDynamoDBClient_WithGlobalEndpoint_UsesIt()
    {
        _env.Set("AWS_ENDPOINT_URL", "http://localhost:4566");

        using var client = CreateSut().CreateDynamoDBClient();

        Assert.Equal("http://localhost:4566/", client.Config.ServiceURL);
        Assert.Equal("us-east-1", client.Config.AuthenticationRegion);
    }
}
