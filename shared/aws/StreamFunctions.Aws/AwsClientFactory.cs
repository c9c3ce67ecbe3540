using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;

namespace StreamFunctions.Aws;

/// <summary>
/// Builds AWS SDK clients configured from one <see cref="AwsSettings"/>: its region, endpoints and
/// credentials, and nothing read behind its back (the SDK's own endpoint-variable lookup is turned off
/// so that these settings are the single source).
/// </summary>
/// <param name="settings">The settings every client shares.</param>
public sealed class AwsClientFactory(AwsSettings settings)
{
    /// <summary>The settings the clients are built from.</summary>
    public AwsSettings Settings { get; } = settings ?? throw new ArgumentNullException(nameof(settings));

    /// <summary>Creates an S3 client. The caller owns and disposes it.</summary>
    /// <remarks>
    /// With a custom endpoint: path-style addressing (emulators and LocalStack serve buckets under the
    /// path, not as sub-domains) and checksums only where S3 requires them (S3-compatible servers do not
    /// all read the SDK's default trailing checksums). Note for puts over plain http: set
    /// <c>UseChunkEncoding = false</c> on the request, because s3rver stores chunk-signed bodies raw.
    /// </remarks>
    public IAmazonS3 CreateS3Client()
    {
        var config = Configure(new AmazonS3Config(), AwsService.S3);
        if (Settings.GetEndpoint(AwsService.S3) is not null)
        {
            config.ForcePathStyle = true;
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        return new AmazonS3Client(Settings.CredentialsFor(AwsService.S3), config);
    }

    /// <summary>Creates a DynamoDB client. The caller owns and disposes it.</summary>
    public IAmazonDynamoDB CreateDynamoDBClient() =>
        new AmazonDynamoDBClient(Settings.CredentialsFor(AwsService.DynamoDB), Configure(new AmazonDynamoDBConfig(), AwsService.DynamoDB));

    /// <summary>Creates an SQS client. The caller owns and disposes it.</summary>
    public IAmazonSQS CreateSqsClient() =>
        new AmazonSQSClient(Settings.CredentialsFor(AwsService.Sqs), Configure(new AmazonSQSConfig(), AwsService.Sqs));

    private TConfig Configure<TConfig>(TConfig config, AwsService service)
        where TConfig : ClientConfig
    {
        config.IgnoreConfiguredEndpointUrls = true;
        if (Settings.GetEndpoint(service) is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = Settings.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(Settings.Region);
        }

        return config;
    }
}
