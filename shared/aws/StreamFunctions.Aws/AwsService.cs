namespace StreamFunctions.Aws;

/// <summary>
/// An AWS service as the SDKs' endpoint configuration names it: the suffix of its
/// <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c> variable and its key in a shared config file's
/// <c>[services]</c> section (AWS SDKs and Tools reference guide, "Identifiers for service-specific
/// endpoints": the service id upper-cased with spaces as underscores, and lower-cased for the file).
/// </summary>
public sealed record AwsService
{
    /// <summary>Amazon Kinesis Data Streams.</summary>
    public static AwsService Kinesis { get; } = new("Kinesis", "kinesis");

    /// <summary>Amazon DynamoDB.</summary>
    public static AwsService DynamoDB { get; } = new("DynamoDB", "dynamodb");

    /// <summary>Amazon S3.</summary>
    public static AwsService S3 { get; } = new("S3", "s3");

    /// <summary>AWS Lambda (Invoke, for transformation hooks).</summary>
    public static AwsService Lambda { get; } = new("Lambda", "lambda");

    /// <summary>Amazon SQS (on-failure destinations, DLQ notifications).</summary>
    public static AwsService Sqs { get; } = new("SQS", "sqs");

    /// <summary>AWS STS (web-identity and assumed-role credentials).</summary>
    public static AwsService Sts { get; } = new("STS", "sts");

    /// <summary>Amazon Data Firehose.</summary>
    public static AwsService Firehose { get; } = new("Firehose", "firehose");

    /// <summary>Amazon CloudWatch.</summary>
    public static AwsService CloudWatch { get; } = new("CloudWatch", "cloudwatch");

    /// <summary>AWS Secrets Manager (Kafka SASL credentials).</summary>
    public static AwsService SecretsManager { get; } = new("Secrets Manager", "secrets_manager");

    /// <summary>Amazon MSK.</summary>
    public static AwsService Kafka { get; } = new("Kafka", "kafka");

    /// <summary>The services StreamFunctions talks to.</summary>
    public static IReadOnlyList<AwsService> All { get; } = [Kinesis, DynamoDB, S3, Lambda, Sqs, Sts, Firehose, CloudWatch, SecretsManager, Kafka];

    /// <summary>Creates a service from its SDK service id and shared-config key.</summary>
    /// <param name="serviceId">The SDK service id, e.g. <c>Secrets Manager</c>.</param>
    /// <param name="configKey">The key in a config file's services section, e.g. <c>secrets_manager</c>.</param>
    public AwsService(string serviceId, string configKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(configKey);
        ServiceId = serviceId;
        ConfigKey = configKey;
        EndpointVariable = "AWS_ENDPOINT_URL_" + serviceId.Replace(' ', '_').ToUpperInvariant();
    }

    /// <summary>The SDK service id, e.g. <c>DynamoDB</c>.</summary>
    public string ServiceId { get; }

    /// <summary>The key of the service's sub-section in a shared config file's services section.</summary>
    public string ConfigKey { get; }

    /// <summary>The service-specific endpoint variable, e.g. <c>AWS_ENDPOINT_URL_DYNAMODB</c>.</summary>
    public string EndpointVariable { get; }

    /// <inheritdoc/>
    public override string ToString() => ServiceId;
}
