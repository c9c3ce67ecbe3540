using Amazon.Runtime;
using StreamFunctions.Aws.Exceptions;

namespace StreamFunctions.Aws.Tests;

public sealed class AwsCredentialsTests : IDisposable
{
    private readonly TestEnvironment _env = new();

    public void Dispose() => _env.Dispose();

    [Fact]
    public void Credentials_WithKeyVariables_UseThem()
    {
        var settings = _env.Set("AWS_REGION", "eu-west-1").Set("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE").Set("AWS_SECRET_ACCESS_KEY", "secret").Settings();

        var keys = settings.CredentialsFor(AwsService.Kinesis).GetCredentials();

        Assert.Equal("AKIDEXAMPLE", keys.AccessKey);
        Assert.Equal("secret", keys.SecretKey);
        Assert.False(keys.UseToken);
        Assert.Equal("environment (AWS_ACCESS_KEY_ID)", settings.CredentialSourceFor(AwsService.Kinesis));
    }

    [Fact]
    public void Credentials_WithSessionToken_CarryTheToken()
    {
        var settings = _env.Set("AWS_REGION", "eu-west-1")
            .Set("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE").Set("AWS_SECRET_ACCESS_KEY", "secret").Set("AWS_SESSION_TOKEN", "token")
            .Settings();

        var keys = settings.CredentialsFor(AwsService.Kinesis).GetCredentials();

        Assert.Equal("token", keys.Token);
        Assert.True(keys.UseToken);
    }

    [Theory]
    [InlineData("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")]
    [InlineData("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")]
    public void Credentials_WithOnlyOneKeyVariable_ThrowNamingTheMissingOne(string present, string missing)
    {
        var settings = _env.Set("AWS_REGION", "eu-west-1").Set(present, "x").Settings();

        var error = Assert.Throws<AwsConfigurationException>(() => settings.CredentialsFor(AwsService.Kinesis));

        Assert.Contains($"{present} is set but {missing} is not", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Credentials_WithCustomEndpointsAndNoKeys_ArePlaceholdersNotTheMetadataService()
    {
        var settings = _env.Set("AWS_ENDPOINT_URL", "http://localhost:4566").Settings();

        var keys = settings.CredentialsFor(AwsService.Kinesis).GetCredentials();

        Assert.Equal(("test", "test"), (keys.AccessKey, keys.SecretKey));
        Assert.Equal("placeholder keys for local endpoints", settings.CredentialSourceFor(AwsService.Kinesis));
    }

    [Fact]
    public void Credentials_WithCustomEndpointsAndProfileKeys_UseTheProfile()
    {
        var settings = _env
            .WithCredentials("[local]\naws_access_key_id = LOCALKEY\naws_secret_access_key = LOCALSECRET\n")
            .Set("AWS_PROFILE", "local")
            .Set("AWS_ENDPOINT_URL", "http://localhost:4566")
            .Settings();

        var keys = settings.CredentialsFor(AwsService.Kinesis).GetCredentials();

        Assert.Equal("LOCALKEY", keys.AccessKey);
        Assert.Equal("profile 'local'", settings.CredentialSourceFor(AwsService.Kinesis));
    }

    [Fact]
    public void Credentials_AreResolvedOnFirstUseOnly()
    {
        // A broken key pair must not stop code that never signs (e.g. 'sfn' printing its settings).
        var settings = _env.Set("AWS_REGION", "eu-west-1").Set("AWS_ACCESS_KEY_ID", "x").Settings();

        Assert.Equal("eu-west-1", settings.Region);
        Assert.Throws<AwsConfigurationException>(() => settings.CredentialsFor(AwsService.Kinesis));
    }

    [Fact]
    public void Credentials_AreResolvedOnceAndCached()
    {
        var settings = _env.Set("AWS_REGION", "eu-west-1").Set("AWS_ACCESS_KEY_ID", "A").Set("AWS_SECRET_ACCESS_KEY", "B").Settings();

        Assert.IsType<BasicAWSCredentials>(settings.CredentialsFor(AwsService.S3));
        Assert.Same(settings.CredentialsFor(AwsService.S3), settings.CredentialsFor(AwsService.DynamoDB));
    }

    [Theory]
    [InlineData("http://localhost:4566", true)]
    [InlineData("http://127.0.0.1:45123", true)]
    [InlineData("http://[::1]:4566", true)]
    [InlineData("https://localhost.localstack.cloud:4566", true)]
    [InlineData("http://s3.localhost.localstack.cloud:4566", true)]
    [InlineData("https://vpce-0abc-123.sqs.eu-west-1.vpce.amazonaws.com", false)]
    [InlineData("http://localstack:4566", false)]
    public void HasOnlyLocalEndpoints_DecidesWhetherPlaceholderKeysMayBeUsed(string endpoint, bool local)
    {
        // A VPC endpoint or remote proxy must keep the real credential chain (web identity, container,
        // instance): placeholder keys there would fail every call with InvalidAccessKeyId.
        var settings = _env.Set("AWS_REGION", "eu-west-1").Set("AWS_ENDPOINT_URL_SQS", endpoint).Settings();

        Assert.True(settings.HasCustomEndpoints);
        Assert.Equal(local, settings.HasOnlyLocalEndpoints);
        Assert.Equal(local, settings.IsLocal(AwsService.Sqs));
    }

    [Fact]
    public void HasOnlyLocalEndpoints_WithOneRemoteAmongLocalEndpoints_IsFalse()
    {
        var settings = _env.Set("AWS_ENDPOINT_URL", "http://localhost:4566")
            .Set("AWS_ENDPOINT_URL_S3", "https://bucket.vpce-1.s3.eu-west-1.vpce.amazonaws.com").Settings();

        Assert.False(settings.HasOnlyLocalEndpoints);
    }

    [Fact]
    public void CredentialsFor_OnlyS3LocalAndNoKeys_PlaceholdersForS3Only_AndTheOthersThatWouldReachAwsAreNamed()
    {
        var settings = _env.Set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000").Settings();

        Assert.Equal("test", settings.CredentialsFor(AwsService.S3).GetCredentials().AccessKey);
        var error = Assert.Throws<AwsConfigurationException>(() => settings.RequireCredentials([AwsService.S3, AwsService.Kinesis, AwsService.DynamoDB, AwsService.Sqs]));

        Assert.StartsWith(
            "Kinesis, DynamoDB and SQS would reach AWS (AWS Kinesis in us-east-1, AWS DynamoDB in us-east-1, AWS SQS in us-east-1), but no AWS credentials were found (looked in the environment, profile 'default', web identity, container and instance metadata: Unable to find credentials)",
            error.Message,
            StringComparison.Ordinal);
        Assert.EndsWith(
            "; only S3 has a local endpoint (http://127.0.0.1:9000/ (from AWS_ENDPOINT_URL_S3)), and placeholder keys are used only when every service is local. " +
            "Set AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS) to run them locally, or configure AWS credentials and AWS_REGION to reach AWS.",
            error.Message,
            StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Clients_OnlyS3LocalAndNoKeys_NoClientForAServiceOnAwsIsMadeWithPlaceholderKeys()
    {
        var clients = new AwsClientFactory(_env.Set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000").Settings());

        using var s3 = clients.CreateS3Client();
        Assert.Contains("DynamoDB would reach AWS", Assert.Throws<AwsConfigurationException>(() => clients.CreateDynamoDBClient()).Message, StringComparison.Ordinal);
        Assert.Contains("SQS would reach AWS", Assert.Throws<AwsConfigurationException>(() => clients.CreateSqsClient()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireCredentials_EveryServiceLocal_UsesPlaceholders()
    {
        var settings = _env.Set("AWS_ENDPOINT_URL", "http://localhost:4566").Settings();

        settings.RequireCredentials(AwsService.All);

        Assert.All(AwsService.All, s => Assert.Equal("placeholder keys for local endpoints", settings.CredentialSourceFor(s)));
    }

    [Fact]
    public void RequireCredentials_KeysButNoRegion_NamesTheServicesThatWouldReachAwsInTheDefaultRegion()
    {
        var settings = _env.Set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000").Set("AWS_ACCESS_KEY_ID", "A").Set("AWS_SECRET_ACCESS_KEY", "B").Settings();

        var error = Assert.Throws<AwsConfigurationException>(() => settings.RequireCredentials([AwsService.S3, AwsService.Kinesis]));

        Assert.StartsWith("Kinesis would reach AWS (AWS Kinesis in us-east-1), but no region is configured for Kinesis (set AWS_REGION); only S3 has a local endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireCredentials_AwsWithKeysAndRegion_MayMixWithALocalService()
    {
        var settings = _env.Set("AWS_REGION", "eu-west-1").Set("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000").Set("AWS_ACCESS_KEY_ID", "A").Set("AWS_SECRET_ACCESS_KEY", "B").Settings();

        settings.RequireCredentials([AwsService.S3, AwsService.Kinesis]);

        Assert.Equal("A", settings.CredentialsFor(AwsService.Kinesis).GetCredentials().AccessKey);
        Assert.Equal("A", settings.CredentialsFor(AwsService.S3).GetCredentials().AccessKey);
    }
}
