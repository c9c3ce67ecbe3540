using StreamFunctions.Aws;
using StreamFunctions.BatchProcessing;
using StreamFunctions.Dlq;
using StreamFunctions.Kinesis;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Sqs;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Functions.FailureHandler;

/// <summary>
/// One SQS message = one on-failure record: recover its batch into the archive. A message that is not an
/// on-failure record, or whose recovery fails, is reported in batchItemFailures (SQS redelivers it, then
/// moves it to the queue's own dead-letter queue).
/// </summary>
internal sealed class FailureHandlerFunction(KinesisClient kinesis, S3PoisonRecordArchive archive)
{
    private readonly BatchProcessor _processor = new(new BatchProcessorOptions { MaxAttempts = 3 });

    public static FailureHandlerFunction FromEnvironment()
    {
        var environment = EnvironmentVariables.Process;
        var bucket = environment.GetValue("DLQ_BUCKET") is { Length: > 0 } b
            ? b
            : throw new ArgumentException("DLQ_BUCKET must name the bucket of the DLQ archive.");
        var settings = AwsSettings.FromEnvironment(environment);
        var s3 = new AwsClientFactory(settings).CreateS3Client();
        return new FailureHandlerFunction(KinesisClient.Create(settings), new S3PoisonRecordArchive(s3, bucket, environment.GetValue("DLQ_PREFIX") ?? "dlq"));
    }

    public async ValueTask<StreamsEventResponse> HandleAsync(SQSEvent evnt, ILambdaContext context, CancellationToken cancellationToken)
    {
        var result = await _processor.ProcessAsync(evnt, async (message, ct) =>
        {
            var batch = DiscardedBatch.Parse(System.Text.Encoding.UTF8.GetBytes(message.Body ?? string.Empty));
            var archived = await OnFailureRecovery.RecoverAsync(batch, kinesis, archive, cancellationToken: ct).ConfigureAwait(false);
            context.Logger.Info("recovered discarded batch",
                new KeyValuePair<string, object?>("shardId", batch.ShardId),
                new KeyValuePair<string, object?>("startSequenceNumber", batch.StartSequenceNumber),
                new KeyValuePair<string, object?>("records", archived));
        }, cancellationToken).ConfigureAwait(false);
        return result.Response;
    }
}
