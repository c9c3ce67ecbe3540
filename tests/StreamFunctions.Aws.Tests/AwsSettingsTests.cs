using StreamFunctions.Aws.Exceptions;

namespace StreamFunctions.Aws.Tests;

public sealed class AwsSettingsTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void GetEndpoint_WithNothingConfigured_IsAwsDefault()
    {
        var settings = _env.Set("AWS_REGION", "eu-west-1").Settings();

        Assert.False(settings.HasCustomEndpoints);
        Assert.All(AwsService.All, s => Assert.Null(settings.GetEndpoint(s)));
        Assert.Equal("AWS Kinesis in eu-west-1", settings.DescribeEndpoint(AwsService.Kinesis));
    }

    [Fact]
    public void GetEndpoint_WithGlobalVariable_AppliesToEveryService()
    {
        var settings = _env.Set("AWS_ENDPOINT_URL", "http://localhost:4566").Settings();

        Assert.True(settings.HasCustomEndpoints);
        Assert.All(AwsService.All, s => Assert.Equal(new Uri("http://localhost:4566"), settings.GetEndpoint(s)));
    }

    [Fact]
    public void GetEndpoint_WithServiceVariable_BeatsGlobalVariable()
    {
        var settings = _env
            .Set("AWS_ENDPOINT_URL", "http://localhost:4566")
            .Set("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
            .Settings();

        Assert.Equal(new Uri("http://127.0.0.1:8000"), settings.GetEndpoint(AwsService.DynamoDB));
        Assert.Equal(new Uri("http://localhost:4566"), settings.GetEndpoint(AwsService.Kinesis));
        Assert.Equal("http://127.0.0.1:8000/ (from AWS_ENDPOINT_URL_DYNAMODB)", settings.DescribeEndpoint(AwsService.DynamoDB));
    }

    [Fact]
    public void GetEndpoint_WithServiceVariableOnly_LeavesOtherServicesOnAws()
    {
        var settings = _env.Set("AWS_REGION", "us-west-2").Set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000").Settings();

        Assert.True(settings.HasCustomEndpoints);
        Assert.Equal(new Uri("http://127.0.0.1:9000"), settings.GetEndpoint(AwsService.S3));
        Assert.Null(settings.GetEndpoint(AwsService.Kinesis));
    }

    [Fact]
    public void GetEndpoint_WithProfileServicesSection_BeatsProfileEndpoint()
    {
        var settings = _env.WithConfig("""
            [default]
            region = eu-central-1
            endpoint_url = http://profile-global:1000
            services = local

            [services local]
            kinesis =
              endpoint_url = http://kinesis-local:2000
            """).Settings();

        Assert.Equal(new Uri("http://kinesis-local:2000"), settings.GetEndpoint(AwsService.Kinesis));
        Assert.Equal(new Uri("http://profile-global:1000"), settings.GetEndpoint(AwsService.S3));
        Assert.Equal("eu-central-1", settings.Region);
    }

    [Fact]
    public void GetEndpoint_WithGlobalVariable_BeatsProfileServicesSection()
    {
        var settings = _env
            .WithConfig("""
                [default]
                services = local
                [services local]
                kinesis =
                  endpoint_url = http://kinesis-local:2000
                """)
            .Set("AWS_ENDPOINT_URL", "http://env-global:3000")
            .Settings();

        Assert.Equal(new Uri("http://env-global:3000"), settings.GetEndpoint(AwsService.Kinesis));
    }

    [Fact]
    public void GetEndpoint_WithNamedProfile_ReadsThatProfileOnly()
    {
        var settings = _env
            .WithConfig("""
                [default]
                region = us-east-2
                [profile dev]
                region = ap-southeast-2
                endpoint_url = https://dev-proxy.example:8443/aws
                """)
            .Set("AWS_PROFILE", "dev")
            .Settings();

        Assert.Equal("dev", settings.ProfileName);
        Assert.Equal("ap-southeast-2", settings.Region);
        Assert.Equal(new Uri("https://dev-proxy.example:8443/aws"), settings.GetEndpoint(AwsService.Lambda));
    }

    [Fact]
    public void GetEndpoint_WhenIgnoreVariableIsTrue_IgnoresEveryConfiguredEndpoint()
    {
        var settings = _env
            .WithConfig("[default]\nendpoint_url = http://profile:1\n")
            .Set("AWS_ENDPOINT_URL", "http://localhost:4566")
            .Set("AWS_ENDPOINT_URL_S3", "http://localhost:9000")
            .Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")
            .Set("AWS_REGION", "eu-west-1")
            .Settings();

        Assert.True(settings.IgnoresConfiguredEndpoints);
        Assert.False(settings.HasCustomEndpoints);
        Assert.Null(settings.GetEndpoint(AwsService.S3));
    }

    [Fact]
    public void GetEndpoint_WhenProfileIgnoresButVariableSaysFalse_VariableWins()
    {
        var settings = _env
            .WithConfig("[default]\nignore_configured_endpoint_urls = true\n")
            .Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")
            .Set("AWS_ENDPOINT_URL", "http://localhost:4566")
            .Settings();

        Assert.Equal(new Uri("http://localhost:4566"), settings.GetEndpoint(AwsService.Sqs));
    }

    [Theory]
    [InlineData("localhost:4566")]
    [InlineData("ftp://localhost:4566")]
    [InlineData("not a url")]
    [InlineData("http://localhost:4566/?x=1")]
    public void FromEnvironment_WithMalformedEndpoint_ThrowsNamingTheVariable(string value)
    {
        _env.Set("AWS_ENDPOINT_URL_KINESIS", value);

        var error = Assert.Throws<AwsConfigurationException>(_env.Settings);

        Assert.Contains("AWS_ENDPOINT_URL_KINESIS", error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_WithUnreadableIgnoreFlag_Throws()
    {
        _env.Set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "yes").Set("AWS_REGION", "eu-west-1");

        var error = Assert.Throws<AwsConfigurationException>(_env.Settings);

        Assert.Contains("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Region_ComesFromAwsRegionThenDefaultRegionThenProfile()
    {
        _env.WithConfig("[default]\nregion = eu-north-1\n");
        Assert.Equal("eu-north-1", _env.Settings().Region);

        _env.Set("AWS_DEFAULT_REGION", "ca-central-1");
        Assert.Equal("ca-central-1", _env.Settings().Region);

        _env.Set("AWS_REGION", "sa-east-1");
        var settings = _env.Settings();
        Assert.Equal("sa-east-1", settings.Region);
        Assert.Equal("AWS_REGION", settings.RegionSource);
    }

    [Fact]
    public void Region_WithCustomEndpointsAndNoRegion_IsUsEast1()
    {
        var settings = _env.Set("AWS_ENDPOINT_URL", "http://localhost:4566").Settings();

        Assert.Equal(AwsSettings.LocalDefaultRegion, settings.Region);
    }

    [Fact]
    public void FromEnvironment_WithNoRegionForRealAws_ThrowsSayingWhatToSet()
    {
        var error = Assert.Throws<AwsConfigurationException>(_env.Settings);

        Assert.Contains("AWS_REGION", error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ENDPOINT_URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEnvironment_WithMalformedRegion_Throws()
    {
        _env.Set("AWS_REGION", "EU West 1");

        var error = Assert.Throws<AwsConfigurationException>(_env.Settings);

        Assert.Contains("AWS_REGION = 'EU West 1'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Kinesis", "AWS_ENDPOINT_URL_KINESIS")]
    [InlineData("DynamoDB", "AWS_ENDPOINT_URL_DYNAMODB")]
    [InlineData("S3", "AWS_ENDPOINT_URL_S3")]
    [InlineData("SQS", "AWS_ENDPOINT_URL_SQS")]
    [InlineData("Secrets Manager", "AWS_ENDPOINT_URL_SECRETS_MANAGER")]
    public void EndpointVariable_IsServiceIdUpperCasedWithUnderscores(string serviceId, string expected)
    {
        var service = AwsService.All.Single(s => s.ServiceId == serviceId);

        Assert.Equal(expected, service.EndpointVariable);
    }
}
