using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using StreamFunctions.BatchProcessing;

namespace StreamFunctions.FailureHandler;

/// <summary>
/// Archives poison records in S3 and then announces each one on an SQS queue, so operators or a
/// redrive job can react without listing the archive. The message names the object (bucket and key) and
/// the failure, never the payload: payloads can exceed SQS's 256 KiB and may hold data that must not
/// leave the archive's encryption. The notification is sent only after the object is stored; if sending
/// fails the whole call fails, and the retry rewrites the same object (its key is deterministic) and sends
/// again, so every archived record is announced at least once. On a FIFO queue (<c>.fifo</c>) the
/// deduplication id is the object key and the group is the source partition, so the retry is dropped by SQS
/// within its 5-minute deduplication interval and announcements of one partition stay in order.
/// </summary>
public sealed class SqsArchiveNotifications : IPoisonRecordArchive
{
    private readonly S3PoisonRecordArchive _archive;
    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly bool _fifo;

    /// <summary>Creates the notifying archive.</summary>
    /// <param name="archive">The archive that stores the records.</param>
    /// <param name="sqs">The SQS client.</param>
    /// <param name="queueUrl">The queue's URL.</param>
    public SqsArchiveNotifications(S3PoisonRecordArchive archive, IAmazonSQS sqs, string queueUrl)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(sqs);
        ArgumentException.ThrowIfNullOrWhiteSpace(queueUrl);
        _archive = archive;
        _sqs = sqs;
        _queueUrl = queueUrl;
        _fifo = queueUrl.EndsWith(".fifo", StringComparison.Ordinal);
    }

    /// <summary>The notification for a record archived under a bucket and key: UTF-8 JSON.</summary>
    /// <param name="record">The record.</param>
    /// <param name="bucket">The archive's bucket.</param>
    /// <param name="key">The record's object key.</param>
    /// <returns>The message body.</returns>
    public static string MessageOf(PoisonRecord record, string bucket, string key)
    {
        ArgumentNullException.ThrowIfNull(record);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event", "streamfunctions:dlq:archived");
            writer.WriteString("bucket", bucket);
            writer.WriteString("key", key);
            S3PoisonRecordArchive.WriteOrigin(writer, record);
            S3PoisonRecordArchive.WriteFailure(writer, record);
            writer.WriteNumber("payloadBytes", record.Payload.Length);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <inheritdoc />
    public async Task ArchiveAsync(PoisonRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _archive.ArchiveAsync(record, cancellationToken).ConfigureAwait(false);
        var key = _archive.KeyOf(record);
        var request = new SendMessageRequest(_queueUrl, MessageOf(record, _archive.Bucket, key));
        if (_fifo)
        {
            // Both ids are limited to 128 characters; a key can be longer, its hash cannot.
            request.MessageDeduplicationId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
            request.MessageGroupId = Truncate(record.Source + "/" + (record.Partition ?? "-"), 128);
        }

        await _sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
