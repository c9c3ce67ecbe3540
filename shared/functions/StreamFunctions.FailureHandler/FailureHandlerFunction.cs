using System.Text.Json;
using Amazon.S3;
using StreamFunctions.BatchProcessing;
using StreamFunctions.KinesisApi;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.FailureHandler;

/// <summary>
/// The FailureHandler function's handler: recovers the batches an event source mapping discarded into the DLQ
/// archive. Triggered by the SQS queue of an SQS on-failure destination (one message = one on-failure record; bad
/// messages are reported in batchItemFailures), or by S3 notifications for the objects an S3 on-failure
/// destination writes (a failure throws, so Lambda's asynchronous retries apply). <c>functions/FailureHandler</c>
/// builds it from the environment; the local pipeline builds it on the embedded stream log and a folder.
/// </summary>
/// <param name="kinesis">The stream the discarded records are read back from.</param>
/// <param name="s3">The bucket of the S3 on-failure destination.</param>
/// <param name="archive">The DLQ archive.</param>
public sealed class FailureHandlerFunction(IKinesisApi kinesis, IAmazonS3 s3, IPoisonRecordArchive archive)
{
    private readonly BatchProcessor _processor = new(new BatchProcessorOptions { MaxAttempts = 3 });
    private int _archived;

    /// <summary>Records this instance archived since it started.</summary>
    public int Archived => Volatile.Read(ref _archived);

    /// <summary>Handles one event.</summary>
    /// <param name="payload">The event.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The response.</returns>
    public async ValueTask<ReadOnlyMemory<byte>> HandleAsync(ReadOnlyMemory<byte> payload, ILambdaContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (LambdaEventSource.Of(payload))
        {
            case "aws:sqs":
                var sqs = LambdaEventJson.Deserialize(payload, LambdaEventsJsonContext.Default.SQSEvent, "SQS");
                var result = await _processor.ProcessAsync(sqs, (message, ct) =>
                    RecoverAsync(System.Text.Encoding.UTF8.GetBytes(message.Body ?? string.Empty), context, ct), cancellationToken).ConfigureAwait(false);
                return JsonSerializer.SerializeToUtf8Bytes(result.Response, LambdaEventsJsonContext.Default.StreamsEventResponse);
            case "aws:s3":
                var notifications = LambdaEventJson.Deserialize(payload, LambdaEventsJsonContext.Default.S3Event, "S3");
                foreach (var record in notifications.Records)
                {
                    using var response = await s3.GetObjectAsync(record.S3.Bucket.Name, record.S3.Object.DecodedKey, cancellationToken).ConfigureAwait(false);
                    using var body = new MemoryStream();
                    await response.ResponseStream.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
                    await RecoverAsync(body.ToArray(), context, cancellationToken).ConfigureAwait(false);
                }

                return "{}"u8.ToArray();
            case var other:
                throw new ArgumentException($"FailureHandler handles SQS and S3 events; this event's source is {LambdaEventSource.Describe(other)}.");
        }
    }

    private async ValueTask RecoverAsync(byte[] onFailureRecord, ILambdaContext context, CancellationToken cancellationToken)
    {
        var batch = DiscardedBatch.Parse(onFailureRecord);
        var archived = await OnFailureRecovery.RecoverAsync(batch, kinesis, archive, cancellationToken: cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _archived, archived);
        context.Logger.Info("recovered discarded batch",
            new KeyValuePair<string, object?>("shardId", batch.ShardId),
            new KeyValuePair<string, object?>("startSequenceNumber", batch.StartSequenceNumber),
            new KeyValuePair<string, object?>("records", archived));
    }
}
