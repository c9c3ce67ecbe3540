using Amazon.S3;
using Amazon.SQS;
using StreamFunctions.Aws;
using StreamFunctions.KinesisApi;

namespace StreamFunctions.FailureHandler;

/// <summary>
/// Builds the FailureHandler function (<see cref="FailureHandlerFunction"/>) from its environment: the one composition
/// root of the deployed function (<c>functions/FailureHandler</c>, with AWS's clients) and of <c>sfn run</c>. Settings:
/// <c>DLQ_BUCKET</c> (required), <c>DLQ_PREFIX</c> (default <c>dlq</c>), <c>DLQ_NOTIFY_QUEUE_URL</c> (optional). The
/// function recovers the batches an event source mapping discarded into the DLQ archive. Triggered by the SQS queue of
/// an SQS on-failure destination (one message = one on-failure record; bad messages are reported in
/// batchItemFailures), or by S3 notifications for the objects an S3 on-failure destination writes (a failure throws,
/// so Lambda's asynchronous retries apply).
/// </summary>
public static class FailureHandlerComposition
{
    /// <summary>Builds the function.</summary>
    /// <param name="environment">Its settings.</param>
    /// <param name="services">Its stream, object store and queue.</param>
    /// <returns>The function.</returns>
    /// <exception cref="Aws.Exceptions.AwsConfigurationException">A setting is unusable; the message names it.</exception>
    public static FailureHandlerFunction Create(IEnvironmentVariables environment, FailureHandlerServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = new SettingsReader(environment);
        var bucket = settings.Required("DLQ_BUCKET", "the name of the DLQ archive's bucket");
        var prefix = settings.Text("DLQ_PREFIX", "dlq");
        var queueUrl = settings.Text("DLQ_NOTIFY_QUEUE_URL") is { } url
            ? Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? url : throw settings.Invalid("DLQ_NOTIFY_QUEUE_URL", "an SQS queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/archived")
            : null;

        services.Require([AwsService.Kinesis, AwsService.S3, .. queueUrl is null ? [] : new[] { AwsService.Sqs }]);
        var s3 = services.S3();
        var archive = new S3PoisonRecordArchive(s3, bucket, prefix);
        return new FailureHandlerFunction(
            services.Kinesis(),
            s3,
            queueUrl is null ? archive : new SqsArchiveNotifications(archive, services.Sqs(), queueUrl));
    }
}

/// <summary>What the FailureHandler function stands on (see <see cref="FunctionServices"/>).</summary>
public abstract class FailureHandlerServices : FunctionServices
{
    /// <summary>The Kinesis API the discarded records are read back from.</summary>
    /// <returns>The API.</returns>
    public abstract IKinesisApi Kinesis();

    /// <summary>The object store of the archive (and of S3 on-failure destinations).</summary>
    /// <returns>The client.</returns>
    public abstract IAmazonS3 S3();

    /// <summary>The queue client (with <c>DLQ_NOTIFY_QUEUE_URL</c>).</summary>
    /// <returns>The client.</returns>
    public abstract IAmazonSQS Sqs();
}
