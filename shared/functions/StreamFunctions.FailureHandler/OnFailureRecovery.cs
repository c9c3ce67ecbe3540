using System.Globalization;
using System.Text.Json;
using StreamFunctions.BatchProcessing;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.FailureHandler;

/// <summary>The batch an on-failure record points at (Lambda's <c>KinesisBatchInfo</c>) and why it was discarded.</summary>
/// <param name="StreamArn">The stream.</param>
/// <param name="ShardId">The shard.</param>
/// <param name="StartSequenceNumber">The first discarded record.</param>
/// <param name="EndSequenceNumber">The last discarded record.</param>
/// <param name="BatchSize">How many records.</param>
/// <param name="Condition">RetryAttemptsExhausted, RecordAgeExceeded, ...</param>
/// <param name="FunctionError">Unhandled, Handled, or null.</param>
/// <param name="ExecutedVersion">The function version, if known.</param>
public sealed record DiscardedBatch(
    string StreamArn,
    string ShardId,
    string StartSequenceNumber,
    string EndSequenceNumber,
    int BatchSize,
    string Condition,
    string? FunctionError,
    string? ExecutedVersion)
{
    /// <summary>Reads Lambda's on-failure record JSON (what an SQS or S3 on-failure destination receives for a Kinesis source).</summary>
    /// <param name="json">The record.</param>
    /// <returns>The batch it points at.</returns>
    /// <exception cref="FormatException">It is not a Kinesis on-failure record.</exception>
    public static DiscardedBatch Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var info = root.TryGetProperty("KinesisBatchInfo", out var k) ? k : throw new FormatException("The on-failure record has no KinesisBatchInfo: it is not from a Kinesis event source.");
            var request = root.TryGetProperty("requestContext", out var r) ? r : default;
            var response = root.TryGetProperty("responseContext", out var p) ? p : default;
            return new DiscardedBatch(
                Required(info, "streamArn"),
                Required(info, "shardId"),
                Required(info, "startSequenceNumber"),
                Required(info, "endSequenceNumber"),
                info.TryGetProperty("batchSize", out var size) && size.TryGetInt32(out var n) ? n : 0,
                request.ValueKind == JsonValueKind.Object && request.TryGetProperty("condition", out var c) ? c.GetString() ?? "" : "",
                response.ValueKind == JsonValueKind.Object && response.TryGetProperty("functionError", out var f) ? f.GetString() : null,
                response.ValueKind == JsonValueKind.Object && response.TryGetProperty("executedVersion", out var v) ? v.GetString() : null);
        }
        catch (JsonException error)
        {
            throw new FormatException($"The on-failure record is not JSON: {error.Message}", error);
        }
        catch (InvalidOperationException error)
        {
            // A field of the wrong JSON type, or text that is not UTF-8, surfaces only when it is read.
            throw new FormatException($"The on-failure record is malformed: {error.Message}", error);
        }

        static string Required(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.GetString() is { Length: > 0 } text
                ? text
                : throw new FormatException($"The on-failure record's KinesisBatchInfo has no '{name}'.");
    }
}

/// <summary>
/// What the failure handler does with an on-failure record: Lambda only sends the shard and sequence range
/// of a discarded batch, which expire with the stream's retention. This fetches the records themselves
/// (GetShardIterator AT_SEQUENCE_NUMBER, then GetRecords up to the range's end) and archives each with its
/// payload; when they are gone, it archives the pointer with status <c>expired</c>. The stream is read by the
/// record's <c>streamArn</c> (Kinesis's <c>StreamARN</c>), never by its name alone: a mapping may read a stream of
/// another account (shared by a resource policy), and a stream of the same name in this function's account is
/// another stream. A stream that cannot be found at all is archived as a pointer with status <c>not-found</c>.
/// </summary>
public static class OnFailureRecovery
{
    /// <summary>The reason archived with a pointer whose records could not be read any more.</summary>
    public const string DataExpired = "DataExpired";

    /// <summary>The reason archived with a pointer whose stream does not exist (deleted, or not visible to this function).</summary>
    public const string StreamNotFound = "StreamNotFound";

    /// <summary>Fetches a discarded batch's records and archives them.</summary>
    /// <param name="batch">The discarded batch.</param>
    /// <param name="kinesis">The stream API.</param>
    /// <param name="archive">The DLQ archive.</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>How many records were archived with their payload (0 when only the expired pointer was).</returns>
    public static async Task<int> RecoverAsync(DiscardedBatch batch, IKinesisApi kinesis, IPoisonRecordArchive archive, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(kinesis);
        ArgumentNullException.ThrowIfNull(archive);
        time ??= TimeProvider.System;
        string? iterator;
        Exception? unreadable;
        try
        {
            iterator = (await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(batch.StreamArn, batch.ShardId, ShardIteratorType.AtSequenceNumber, batch.StartSequenceNumber), cancellationToken).ConfigureAwait(false)).ShardIterator;
            unreadable = null;
        }
        catch (Exception e) when (e is KinesisResourceNotFoundException or KinesisInvalidArgumentException)
        {
            (iterator, unreadable) = (null, e);
        }

        if (unreadable is KinesisResourceNotFoundException && !await StreamExistsAsync(kinesis, batch.StreamArn, cancellationToken).ConfigureAwait(false))
        {
            await ArchivePointerAsync(batch, archive, time, StreamNotFound, $"the stream {batch.StreamArn} was not found ({unreadable.Message}): it was deleted, or it is in an account or region this function does not read", cancellationToken).ConfigureAwait(false);
            return 0;
        }

        if (unreadable is not null)
        {
            // The stream is there; its shard or the sequence number is not (past retention).
            await ArchivePointerAsync(batch, archive, time, DataExpired, unreadable.Message, cancellationToken).ConfigureAwait(false);
            return 0;
        }

        var archived = 0;
        var first = true;
        while (iterator is not null)
        {
            var page = await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator, 1000), cancellationToken).ConfigureAwait(false);
            foreach (var record in page.Records)
            {
                if (first && SequenceNumbers.Compare(record.SequenceNumber, batch.StartSequenceNumber) != 0)
                {
                    // The range's first record is gone (trimmed by retention): the rest may be partial.
                    await ArchivePointerAsync(batch, archive, time, DataExpired, $"the first record {batch.StartSequenceNumber} is no longer in the shard", cancellationToken).ConfigureAwait(false);
                    return archived;
                }

                first = false;
                if (SequenceNumbers.Compare(record.SequenceNumber, batch.EndSequenceNumber) > 0)
                {
                    return archived;
                }

                await archive.ArchiveAsync(new PoisonRecord(
                    batch.StreamArn,
                    batch.ShardId,
                    record.SequenceNumber,
                    record.PartitionKey,
                    record.Data,
                    "Lambda." + (batch.FunctionError ?? "Error"),
                    $"Discarded by the event source mapping: {batch.Condition}",
                    batch.Condition,
                    0,
                    batch.ExecutedVersion,
                    time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
                archived++;
                if (SequenceNumbers.Compare(record.SequenceNumber, batch.EndSequenceNumber) == 0)
                {
                    return archived;
                }
            }

            if (page.Records.Count == 0 && page.MillisBehindLatest == 0)
            {
                break;
            }

            iterator = page.NextShardIterator;
        }

        if (archived == 0)
        {
            await ArchivePointerAsync(batch, archive, time, DataExpired, "no record of the range is in the shard any more", cancellationToken).ConfigureAwait(false);
        }

        return archived;
    }

    private static async Task<bool> StreamExistsAsync(IKinesisApi kinesis, string streamArn, CancellationToken cancellationToken)
    {
        try
        {
            await kinesis.DescribeStreamSummaryAsync(streamArn, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (KinesisResourceNotFoundException)
        {
            return false;
        }
    }

    private static Task ArchivePointerAsync(DiscardedBatch batch, IPoisonRecordArchive archive, TimeProvider time, string reason, string why, CancellationToken cancellationToken) =>
        archive.ArchiveAsync(new PoisonRecord(
            batch.StreamArn,
            batch.ShardId,
            batch.StartSequenceNumber + "-" + batch.EndSequenceNumber,
            null,
            ReadOnlyMemory<byte>.Empty,
            "Lambda." + (batch.FunctionError ?? "Error"),
            string.Create(CultureInfo.InvariantCulture, $"Discarded by the event source mapping ({batch.Condition}, {batch.BatchSize} records); the records cannot be read: {why}"),
            reason,
            0,
            batch.ExecutedVersion,
            time.GetUtcNow()), cancellationToken);
}
