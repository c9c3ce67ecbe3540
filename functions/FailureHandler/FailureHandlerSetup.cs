using StreamFunctions.Aws;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.FailureHandler;

namespace StreamFunctions.Functions.FailureHandler;

/// <summary>
/// Builds the FailureHandler function (<see cref="FailureHandlerFunction"/>) from its environment: <c>DLQ_BUCKET</c>
/// (required), <c>DLQ_PREFIX</c> (default <c>dlq</c>), <c>DLQ_NOTIFY_QUEUE_URL</c> (optional). The function recovers the batches an event source mapping discarded into the DLQ archive. Triggered by the SQS
/// queue of an SQS on-failure destination (one message = one on-failure record; bad messages are reported
/// in batchItemFailures), or by S3 notifications for the objects an S3 on-failure destination writes
/// (a failure throws, so Lambda's asynchronous retries apply).
/// </summary>
internal static class FailureHandlerSetup
{
    public static FailureHandlerFunction FromEnvironment(IEnvironmentVariables environment)
    {
        var settings = new SettingsReader(environment);
        var bucket = settings.Required("DLQ_BUCKET", "the name of the DLQ archive's bucket");
        var prefix = settings.Text("DLQ_PREFIX", "dlq");
        var queueUrl = settings.Text("DLQ_NOTIFY_QUEUE_URL") is { } url
            ? Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? url : throw settings.Invalid("DLQ_NOTIFY_QUEUE_URL", "an SQS queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/archived")
            : null;

        var aws = AwsSettings.FromEnvironment(environment);
        aws.RequireCredentials([AwsService.Kinesis, AwsService.S3, .. queueUrl is null ? [] : new[] { AwsService.Sqs }]);
        var clients = new AwsClientFactory(aws);
        var s3 = clients.CreateS3Client();
        var archive = new S3PoisonRecordArchive(s3, bucket, prefix);
        return new FailureHandlerFunction(
            KinesisClient.Create(aws),
            s3,
            queueUrl is null ? archive : new SqsArchiveNotifications(archive, clients.CreateSqsClient(), queueUrl));
    }
}
