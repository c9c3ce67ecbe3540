using System.Text.Json;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.BatchProcessing;
using StreamFunctions.Dlq;
using StreamFunctions.Kinesis;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Functions.FailureHandler;

/// <summary>
/// Recovers the batches an event source mapping discarded into the DLQ archive. Triggered by the SQS
/// queue of an SQS on-failure destination (one message = one on-failure record; bad messages are reported
/// in batchItemFailures), or by S3 notifications for the objects an S3 on-failure destination writes
/// (a failure throws, so Lambda's asynchronous retries apply).
/// </summary>
internal sealed class FailureHandlerFunction(KinesisClient kinesis, IAmazonS3 s3, IPoisonRecordArchive archive)
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
        var archive = new S3PoisonRecordArchive(s3, bucket, environment.GetValue("DLQ_PREFIX") ?? "dlq");

        // DLQ_NOTIFY_QUEUE_URL (optional): announce every archived record on this SQS queue.
        return new FailureHandlerFunction(
            KinesisClient.Create(settings),
            s3,
            environment.GetValue("DLQ_NOTIFY_QUEUE_URL") is { Length: > 0 } queueUrl
                ? new SqsArchiveNotifications(archive, new AwsClientFactory(settings).CreateSqsClient(), queueUrl)
                : archive);
    }

    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        switch (LambdaEventSource.Of(payload))
        {
            case "aws:sqs":
                var sqs = JsonSerializer.Deserialize(payload.Span, LambdaEventsJsonContext.Default.SQSEvent)!;
                var result = await _processor.ProcessAsync(sqs, (message, ct) =>
                    RecoverAsync(System.Text.Encoding.UTF8.GetBytes(message.Body ?? string.Empty), context, ct), cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToUtf8Bytes(result.Response, LambdaEventsJsonContext.Default.StreamsEventResponse);
            case "aws:s3":
                var notifications = JsonSerializer.Deserialize(payload.Span, LambdaEventsJsonContext.Default.S3Event)!;
                foreach (var record in notifications.Records)
                {
                    using var response = await s3.GetObjectAsync(record.S3.Bucket.Name, record.S3.Object.DecodedKey, cancellationToken).ConfigureAwait(false);
                    using var body = new MemoryStream();
                    await response.ResponseStream.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
                    await RecoverAsync(body.ToArray(), context, cancellationToken).ConfigureAwait(false);
                }

                return "{}"u8.ToArray();
            case var other:
                throw new ArgumentException($"FailureHandler handles SQS and S3 events; this event's source is '{other ?? "unknown"}'.");
        }
    }

    private async ValueTask RecoverAsync(byte[] onFailureRecord, ILambdaContext context, CancellationToken cancellationToken)
    {
        var batch = DiscardedBatch.Parse(onFailureRecord);
        var archived = await OnFailureRecovery.RecoverAsync(batch, kinesis, archive, cancellationToken: cancellationToken).ConfigureAwait(false);
        context.Logger.Info("recovered discarded batch",
            new KeyValuePair<string, object?>("shardId", batch.ShardId),
            new KeyValuePair<string, object?>("startSequenceNumber", batch.StartSequenceNumber),
            new KeyValuePair<string, object?>("records", archived));
    }
}
