using StreamFunctions.Aws;
using StreamFunctions.Dlq;
using StreamFunctions.Kinesis;

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
    public static FailureHandlerFunction FromEnvironment()
    {
        var environment = EnvironmentVariables.Process;
        var bucket = environment.GetValue("DLQ_BUCKET") is { Length: > 0 } b
            ? b
            : throw new ArgumentException("DLQ_BUCKET must name the bucket of the DLQ archive.");
        var settings = AwsSettings.FromEnvironment(environment);
        var s3 = new AwsClientFactory(settings).CreateS3Client();
        var archive = new S3PoisonRecordArchive(s3, bucket, environment.GetValue("DLQ_PREFIX") ?? "dlq");

        // DLQ_NOTIFY_QUEUE_URL (optional): announce every archived record on this SQS queue.
        return new FailureHandlerFunction(
            KinesisClient.Create(settings),
            s3,
            environment.GetValue("DLQ_NOTIFY_QUEUE_URL") is { Length: > 0 } queueUrl
                ? new SqsArchiveNotifications(archive, new AwsClientFactory(settings).CreateSqsClient(), queueUrl)
                : archive);
    }
}
