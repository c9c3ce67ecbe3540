using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws;
using StreamFunctions.Streams;
using StreamFunctions.Streams.Model;

namespace StreamFunctions.Dlq;

/// <summary>One archived record, as read back from the DLQ archive.</summary>
/// <param name="Key">Its S3 key.</param>
/// <param name="Status"><c>archived</c> (payload kept) or <c>expired</c> (pointer only).</param>
/// <param name="Source">The source stream ARN.</param>
/// <param name="Partition">The shard.</param>
/// <param name="Position">The sequence number (or range, when expired).</param>
/// <param name="PartitionKey">The partition key.</param>
/// <param name="ErrorType">Why it failed.</param>
/// <param name="ErrorMessage">The failure's message.</param>
/// <param name="Reason">Poison, RetryBudgetExhausted, RetryAttemptsExhausted, DataExpired, ...</param>
/// <param name="FailedAt">When.</param>
/// <param name="Payload">The record's bytes.</param>
/// <param name="Redriven">Whether a redrive already put it back.</param>
public sealed record ArchivedRecord(
    string Key,
    string Status,
    string Source,
    string? Partition,
    string Position,
    string? PartitionKey,
    string ErrorType,
    string ErrorMessage,
    string Reason,
    DateTimeOffset FailedAt,
    ReadOnlyMemory<byte> Payload,
    bool Redriven);

/// <summary>Which archived records a listing or redrive covers.</summary>
/// <param name="Since">Failed at or after, if set.</param>
/// <param name="Until">Failed before, if set.</param>
/// <param name="ErrorType">Only this error type (exact, or a suffix such as <c>JsonReaderException</c>), if set.</param>
public sealed record ArchiveFilter(DateTimeOffset? Since = null, DateTimeOffset? Until = null, string? ErrorType = null)
{
    /// <summary>Whether a record passes.</summary>
    /// <param name="record">The record.</param>
    /// <returns>True when it passes.</returns>
    public bool Matches(ArchivedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return (Since is null || record.FailedAt >= Since)
            && (Until is null || record.FailedAt < Until)
            && (ErrorType is null || record.ErrorType == ErrorType || record.ErrorType.EndsWith("." + ErrorType, StringComparison.Ordinal));
    }
}

/// <summary>What a redrive did.</summary>
/// <param name="Matched">Archived records that passed the filter.</param>
/// <param name="Redriven">Records put back into a stream by this run.</param>
/// <param name="AlreadyRedriven">Records skipped because an earlier run put them back.</param>
/// <param name="NotRedrivable">Expired pointers (no payload) that cannot be put back.</param>
/// <param name="DryRun">Whether nothing was written.</param>
public sealed record RedriveReport(int Matched, int Redriven, int AlreadyRedriven, int NotRedrivable, bool DryRun);

/// <summary>
/// Reads the DLQ archive and puts archived records back into a stream (their source, or another one).
/// Each redriven record gets a marker object (<c>{prefix}-redriven/...</c>) once its put succeeded, so a
/// second run skips it: a redrive is a no-op the second time. A crash between a put and its marker can
/// repeat that one record on the next run (Kinesis has no idempotent put); markers are written per batch
/// of at most 500 records to keep that window small.
/// </summary>
public sealed class DlqArchive(IAmazonS3 s3, string bucket, string prefix = "dlq")
{
    private readonly string _prefix = prefix.Trim('/');

    /// <summary>Lists archived records, oldest key first.</summary>
    /// <param name="filter">Which records.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The records.</returns>
    public async Task<IReadOnlyList<ArchivedRecord>> ListAsync(ArchiveFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= new ArchiveFilter();
        var redriven = (await KeysAsync(RedrivenPrefix + "/", cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var records = new List<ArchivedRecord>();
        foreach (var key in await KeysAsync(_prefix + "/", cancellationToken).ConfigureAwait(false))
        {
            var record = await ReadAsync(key, redriven.Contains(RedrivenPrefix + "/" + key[(_prefix.Length + 1)..]), cancellationToken).ConfigureAwait(false);
            if (filter.Matches(record))
            {
                records.Add(record);
            }
        }

        return records;
    }

    /// <summary>Reads one archived record.</summary>
    /// <param name="key">Its key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The record.</returns>
    public Task<ArchivedRecord> ShowAsync(string key, CancellationToken cancellationToken = default) =>
        ReadAsync(key, redriven: false, cancellationToken);

    /// <summary>Puts archived records back into a stream, each once.</summary>
    /// <param name="kinesis">The stream API.</param>
    /// <param name="targetStream">The stream to put into; each record's source stream when null.</param>
    /// <param name="filter">Which records.</param>
    /// <param name="dryRun">Only report what would be redriven.</param>
    /// <param name="recordsPerSecond">A rate limit; unlimited when null.</param>
    /// <param name="progress">Told the count redriven so far.</param>
    /// <param name="time">The clock for the rate limit.</param>
    /// <param name="cancellationToken">Stops the redrive between batches.</param>
    /// <returns>What was done.</returns>
    public async Task<RedriveReport> RedriveAsync(
        IKinesisApi kinesis,
        string? targetStream = null,
        ArchiveFilter? filter = null,
        bool dryRun = false,
        int? recordsPerSecond = null,
        IProgress<int>? progress = null,
        TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        time ??= TimeProvider.System;
        var records = await ListAsync(filter, cancellationToken).ConfigureAwait(false);
        var pending = records.Where(r => !r.Redriven && r.Status == "archived").ToList();
        var report = new RedriveReport(records.Count, 0, records.Count(r => r.Redriven), records.Count(r => r.Status != "archived"), dryRun);
        if (dryRun)
        {
            return report with { Redriven = pending.Count };
        }

        var done = 0;
        foreach (var group in pending.GroupBy(r => targetStream ?? KinesisArn.StreamNameOf(r.Source)))
        {
            foreach (var chunk in group.Chunk(recordsPerSecond is { } rate ? Math.Clamp(rate, 1, 500) : 500))
            {
                var started = time.GetUtcNow();
                var remaining = chunk.ToList();
                for (var attempt = 0; remaining.Count > 0; attempt++)
                {
                    var response = await kinesis.PutRecordsAsync(new PutRecordsRequest(group.Key, [.. remaining.Select(r => new PutRecordsRequestEntry(r.Payload, r.PartitionKey ?? r.Position))]), cancellationToken).ConfigureAwait(false);
                    var failed = new List<ArchivedRecord>();
                    for (var i = 0; i < remaining.Count; i++)
                    {
                        if (response.Records[i].Succeeded)
                        {
                            await MarkAsync(remaining[i], group.Key, response.Records[i].SequenceNumber!, cancellationToken).ConfigureAwait(false);
                            done++;
                            progress?.Report(done);
                        }
                        else
                        {
                            failed.Add(remaining[i]);
                        }
                    }

                    if (failed.Count > 0 && attempt >= 5)
                    {
                        throw new InvalidOperationException($"Redrive into {group.Key}: {failed.Count} records were still throttled after 6 attempts; {done} were redriven. Run again to continue (redriven records are skipped).");
                    }

                    remaining = failed;
                    if (remaining.Count > 0)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(100 << attempt), time, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (recordsPerSecond is not null)
                {
                    var wait = TimeSpan.FromSeconds(1) - (time.GetUtcNow() - started);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        return report with { Redriven = done };
    }

    private string RedrivenPrefix => _prefix + "-redriven";

    private async Task MarkAsync(ArchivedRecord record, string stream, string sequenceNumber, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"stream\":\"{stream}\",\"sequenceNumber\":\"{sequenceNumber}\"}}\n"));
        await s3.PutBytesAsync(bucket, RedrivenPrefix + "/" + record.Key[(_prefix.Length + 1)..], body, "application/json", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<string>> KeysAsync(string keyPrefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = keyPrefix, ContinuationToken = token }, cancellationToken).ConfigureAwait(false);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    private async Task<ArchivedRecord> ReadAsync(string key, bool redriven, CancellationToken cancellationToken)
    {
        using var response = await s3.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(buffer.ToArray());
            var root = json.RootElement;
            return new ArchivedRecord(
                key,
                root.GetProperty("status").GetString()!,
                root.GetProperty("source").GetString()!,
                root.GetProperty("partition").GetString(),
                root.GetProperty("position").GetString()!,
                root.GetProperty("partitionKey").GetString(),
                root.GetProperty("errorType").GetString()!,
                root.GetProperty("errorMessage").GetString()!,
                root.GetProperty("reason").GetString()!,
                DateTimeOffset.Parse(root.GetProperty("failedAt").GetString()!, CultureInfo.InvariantCulture),
                root.GetProperty("payload").GetBytesFromBase64(),
                redriven);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"s3://{bucket}/{key} is not a DLQ archive record: {e.Message}", e);
        }
    }
}
