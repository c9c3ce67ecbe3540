using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.FailureHandler;

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
/// <param name="ClaimedAt">When a redrive claimed it and has not yet said it was put back (a run under way, or one that died); null otherwise.</param>
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
    bool Redriven,
    DateTimeOffset? ClaimedAt = null);

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
/// <param name="NotRedrivable">Pointers without a payload (expired, or their stream not found) that cannot be put back.</param>
/// <param name="DryRun">Whether nothing was written.</param>
/// <param name="ClaimedByAnotherRun">Records skipped because another redrive holds them: it claimed them less than the claim timeout ago and has not yet put them back.</param>
public sealed record RedriveReport(int Matched, int Redriven, int AlreadyRedriven, int NotRedrivable, bool DryRun, int ClaimedByAnotherRun = 0);

/// <summary>
/// Reads the DLQ archive and puts archived records back into a stream (their source, or another one), each once, also
/// when redrives run at the same time. Every record has one marker object, <c>{prefix}-redriven/{its key under the
/// prefix}</c>, and conditional writes of it carry the protocol (S3 serializes them per key):
/// <list type="number">
/// <item><description>claim: the marker is created with <c>If-None-Match: *</c> (<c>{"state":"claimed","run":…,"at":…}</c>).
/// Of runs claiming one record, exactly one succeeds; the others get 412 and skip it, counted in
/// <see cref="RedriveReport.ClaimedByAnotherRun"/>;</description></item>
/// <item><description>put: the claimed records go into the stream (PutRecords, throttled entries retried);</description></item>
/// <item><description>done: the marker is overwritten with <c>If-Match</c> the claim's ETag (<c>{"state":"redriven","stream":…,"sequenceNumber":…}</c>):
/// later runs count the record as already redriven.</description></item>
/// </list>
/// A claim older than the claim timeout (a run that died between its claim and its marker) is taken over with
/// <c>If-Match</c> that claim's ETag, so of two runs taking it over one wins, and a record is never stuck; a put that
/// failed (throttled past its retries, or the stream API's error) gives its claims back at once (<c>"state":"released"</c>).
/// Nothing is lost: a record is skipped only while another run holds a fresh claim on it, or once it was put back.
/// At least once remains where Kinesis, which has no idempotent put, leaves it: a run that dies (or a put whose error
/// hid its success) between a put and its markers repeats those records in the run that takes them over, as before
/// claims; markers follow each batch of at most 500 records to keep that window small. A claim that outlives the timeout
/// while its run still puts it (a run stalled for minutes) can be taken over and put twice as well; the timeout (5
/// minutes by default) is far above a batch's put with its retries. A claim's age is its <c>at</c> against this
/// run's clock: the clocks of runs that share an archive must agree within the timeout. The protocol needs an S3 that
/// honours conditional writes as S3 does (AWS S3; the folder S3 of <c>sfn run</c>; moto 5.2 does; s3rver ignores them).
/// Markers written before claims existed (<c>{"stream":…,"sequenceNumber":…}</c>) read as redriven.
/// </summary>
public sealed class DlqArchive(IAmazonS3 s3, string bucket, string prefix = "dlq")
{
    /// <summary>How old another run's claim must be before a redrive takes it over, when not given.</summary>
    public static readonly TimeSpan DefaultClaimTimeout = TimeSpan.FromMinutes(5);

    // Concurrent marker writes per batch: each is one S3 round trip.
    private const int MarkerWrites = 16;
    private const string Claimed = "claimed", Released = "released", Redriven = "redriven";

    private readonly string _prefix = prefix.Trim('/');

    /// <summary>Lists archived records, oldest key first.</summary>
    /// <param name="filter">Which records.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The records.</returns>
    public async Task<IReadOnlyList<ArchivedRecord>> ListAsync(ArchiveFilter? filter = null, CancellationToken cancellationToken = default) =>
        [.. (await ListWithMarkersAsync(filter, cancellationToken).ConfigureAwait(false)).Select(r => r.Record)];

    /// <summary>Reads one archived record.</summary>
    /// <param name="key">Its key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The record.</returns>
    public Task<ArchivedRecord> ShowAsync(string key, CancellationToken cancellationToken = default) =>
        ReadAsync(key, cancellationToken);

    /// <summary>Puts archived records back into a stream, each once, also when other redrives run at the same time (see the class).</summary>
    /// <param name="kinesis">The stream API.</param>
    /// <param name="targetStream">The stream to put into; each record's source stream when null.</param>
    /// <param name="filter">Which records.</param>
    /// <param name="dryRun">Only report what would be redriven.</param>
    /// <param name="recordsPerSecond">A rate limit; unlimited when null.</param>
    /// <param name="progress">Told the count redriven so far.</param>
    /// <param name="time">The clock for the rate limit and the claims' ages.</param>
    /// <param name="claimTimeout">How old another run's claim must be to be taken over; <see cref="DefaultClaimTimeout"/> when null.</param>
    /// <param name="cancellationToken">Stops the redrive between batches: a batch claimed is put and marked, or given back.</param>
    /// <returns>What was done.</returns>
    public async Task<RedriveReport> RedriveAsync(
        IKinesisApi kinesis,
        string? targetStream = null,
        ArchiveFilter? filter = null,
        bool dryRun = false,
        int? recordsPerSecond = null,
        IProgress<int>? progress = null,
        TimeProvider? time = null,
        TimeSpan? claimTimeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        time ??= TimeProvider.System;
        var timeout = claimTimeout ?? DefaultClaimTimeout;
        var run = Guid.NewGuid().ToString("N");
        var records = await ListWithMarkersAsync(filter, cancellationToken).ConfigureAwait(false);
        var archived = records.Where(r => r.Record.Status == "archived" && !r.Record.Redriven).ToList();
        var pending = archived.Where(r => !HeldByAnother(r.Marker, time, timeout)).ToList();
        var report = new RedriveReport(records.Count, 0, records.Count(r => r.Record.Redriven), records.Count(r => r.Record.Status != "archived"), dryRun, archived.Count - pending.Count);
        if (dryRun)
        {
            return report with { Redriven = pending.Count };
        }

        var done = 0;
        var (already, held) = (0, 0);
        foreach (var group in pending.GroupBy(r => targetStream ?? KinesisArn.StreamNameOf(r.Record.Source)))
        {
            foreach (var chunk in group.Chunk(recordsPerSecond is { } rate ? Math.Clamp(rate, 1, 500) : 500))
            {
                // Between batches only: once claimed, a batch is put and marked (or given back) whatever the token says.
                cancellationToken.ThrowIfCancellationRequested();
                var started = time.GetUtcNow();
                var claims = await ClaimAsync(chunk, run, time, timeout).ConfigureAwait(false);
                already += claims.Count(c => c.Outcome == ClaimOutcome.AlreadyRedriven);
                held += claims.Count(c => c.Outcome == ClaimOutcome.HeldByAnother);
                var remaining = claims.Where(c => c.Outcome == ClaimOutcome.Ours).ToList();
                for (var attempt = 0; remaining.Count > 0; attempt++)
                {
                    var response = await PutOrGiveBackAsync(kinesis, group.Key, remaining, run, time).ConfigureAwait(false);
                    var put = new List<(RecordClaim Claim, string SequenceNumber)>();
                    var failed = new List<RecordClaim>();
                    for (var i = 0; i < remaining.Count; i++)
                    {
                        if (response.Records[i].Succeeded)
                        {
                            put.Add((remaining[i], response.Records[i].SequenceNumber!));
                        }
                        else
                        {
                            failed.Add(remaining[i]);
                        }
                    }

                    await ForEachAsync(put, async p =>
                    {
                        await MarkRedrivenAsync(p.Claim, group.Key, p.SequenceNumber, run).ConfigureAwait(false);
                        var count = Interlocked.Increment(ref done);
                        progress?.Report(count);
                    }).ConfigureAwait(false);
                    if (failed.Count > 0 && attempt >= 5)
                    {
                        await GiveBackAsync(failed, run, time).ConfigureAwait(false);
                        throw new InvalidOperationException($"Redrive into {group.Key}: {failed.Count} records were still throttled after 6 attempts (their claims are given back); {done} were redriven. Run again to continue (redriven records are skipped).");
                    }

                    remaining = failed;
                    if (remaining.Count > 0)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(100 << attempt), time, CancellationToken.None).ConfigureAwait(false);
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

        return report with { Redriven = done, AlreadyRedriven = report.AlreadyRedriven + already, ClaimedByAnotherRun = report.ClaimedByAnotherRun + held };
    }

    private string RedrivenPrefix => _prefix + "-redriven";

    private string MarkerKey(ArchivedRecord record) => RedrivenPrefix + "/" + record.Key[(_prefix.Length + 1)..];

    // A marker another run wrote as its claim, younger than the timeout.
    private static bool HeldByAnother(Marker? marker, TimeProvider time, TimeSpan timeout) =>
        marker is { State: Claimed, At: { } at } && time.GetUtcNow() - at < timeout;

    // Claims a batch's records, each on its own (see ClaimOneAsync).
    private async Task<List<RecordClaim>> ClaimAsync((ArchivedRecord Record, Marker? Marker)[] batch, string run, TimeProvider time, TimeSpan timeout)
    {
        var claims = new RecordClaim[batch.Length];
        await ForEachAsync(Enumerable.Range(0, batch.Length), async i => claims[i] = await ClaimOneAsync(batch[i].Record, batch[i].Marker, run, time, timeout).ConfigureAwait(false)).ConfigureAwait(false);
        return [.. claims];
    }

    // Creates the record's marker as this run's claim (If-None-Match: *), or takes over a stale or given-back claim
    // (If-Match: its ETag). A write another run won (412), one under way (409) or a marker gone (404) is read again and
    // decided again; a record contested five times in a row is left to the runs that keep winning it.
    private async Task<RecordClaim> ClaimOneAsync(ArchivedRecord record, Marker? seen, string run, TimeProvider time, TimeSpan timeout)
    {
        var key = MarkerKey(record);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (seen is { State: Redriven })
            {
                return new RecordClaim(record, ClaimOutcome.AlreadyRedriven, null);
            }

            if (HeldByAnother(seen, time, timeout))
            {
                break;
            }

            if (await TryPutMarkerAsync(key, MarkerBody(Claimed, run, time.GetUtcNow()), seen?.ETag).ConfigureAwait(false) is { } etag)
            {
                return new RecordClaim(record, ClaimOutcome.Ours, etag);
            }

            seen = await ReadMarkerAsync(key, CancellationToken.None).ConfigureAwait(false);
        }

        return new RecordClaim(record, ClaimOutcome.HeldByAnother, null);
    }

    // PutRecords; when it fails, the batch's claims are given back before the error goes on, so the next run needs no
    // timeout to take them (the error may have hidden a success: those records are then put twice, as after a crash).
    private async Task<PutRecordsResponse> PutOrGiveBackAsync(IKinesisApi kinesis, string stream, List<RecordClaim> claims, string run, TimeProvider time)
    {
        try
        {
            return await kinesis.PutRecordsAsync(new PutRecordsRequest(stream, [.. claims.Select(c => new PutRecordsRequestEntry(c.Record.Payload, c.Record.PartitionKey ?? c.Record.Position))]), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KinesisException or HttpRequestException or TimeoutException or OperationCanceledException)
        {
            // Nothing cancels the put (CancellationToken.None): a cancellation here is the HTTP client's timeout.
            try
            {
                await GiveBackAsync(claims, run, time).ConfigureAwait(false);
            }
            catch (Exception release) when (release is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                throw new InvalidOperationException($"Redrive into {stream}: {e.Message} Giving the batch's claims back failed too ({release.Message}); another run takes them over after the claim timeout.", e);
            }

            throw;
        }
    }

    private Task GiveBackAsync(IEnumerable<RecordClaim> claims, string run, TimeProvider time) =>
        ForEachAsync(claims, c => TryPutMarkerAsync(MarkerKey(c.Record), MarkerBody(Released, run, time.GetUtcNow()), c.ETag));

    // Overwrites the run's claim; if another run took the claim over meanwhile (412), that run will put the record too.
    private async Task MarkRedrivenAsync(RecordClaim claim, string stream, string sequenceNumber, string run) =>
        await TryPutMarkerAsync(MarkerKey(claim.Record), Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"state\":\"{Redriven}\",\"run\":\"{run}\",\"stream\":{JsonSerializer.Serialize(stream, DlqJsonContext.Default.String)},\"sequenceNumber\":\"{sequenceNumber}\"}}\n")), claim.ETag).ConfigureAwait(false);

    private static byte[] MarkerBody(string state, string run, DateTimeOffset at) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"state\":\"{state}\",\"run\":\"{run}\",\"at\":\"{at:O}\"}}\n"));

    // A conditional write of a marker: If-None-Match: * without an ETag, If-Match: the ETag with one. Its new ETag, or
    // null when the condition failed: 412 (another version is there), 409 (a conditional write of it is under way), 404
    // (If-Match and no marker). S3's PutObject needs its length up front, so the body is never chunk-encoded.
    private async Task<string?> TryPutMarkerAsync(string key, byte[] body, string? ifMatch)
    {
        using var content = new MemoryStream(body, writable: false);
        try
        {
            var response = await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                InputStream = content,
                AutoCloseStream = false,
                ContentType = "application/json",
                UseChunkEncoding = false,
                IfNoneMatch = ifMatch is null ? "*" : null,
                IfMatch = ifMatch,
            }, CancellationToken.None).ConfigureAwait(false);
            return response.ETag;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
    }

    // Every record with its marker (state, time, ETag), if it has one.
    private async Task<List<(ArchivedRecord Record, Marker? Marker)>> ListWithMarkersAsync(ArchiveFilter? filter, CancellationToken cancellationToken)
    {
        filter ??= new ArchiveFilter();
        var markers = (await KeysAsync(RedrivenPrefix + "/", cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var records = new List<(ArchivedRecord, Marker?)>();
        foreach (var key in await KeysAsync(_prefix + "/", cancellationToken).ConfigureAwait(false))
        {
            var record = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
            if (!filter.Matches(record))
            {
                continue;
            }

            var markerKey = RedrivenPrefix + "/" + key[(_prefix.Length + 1)..];
            var marker = markers.Contains(markerKey) ? await ReadMarkerAsync(markerKey, cancellationToken).ConfigureAwait(false) : null;
            records.Add((record with { Redriven = marker is { State: Redriven }, ClaimedAt = marker is { State: Claimed } ? marker.At : null }, marker));
        }

        return records;
    }

    private async Task<Marker?> ReadMarkerAsync(string key, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await s3.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            return null;
        }

        using (response)
        {
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return ParseMarker(buffer.ToArray(), response.ETag, key);
        }
    }

    private Marker ParseMarker(byte[] body, string etag, string key)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var state = root.TryGetProperty("state", out var s) ? s.GetString() ?? Redriven : Redriven;
            var at = root.TryGetProperty("at", out var a) ? DateTimeOffset.Parse(a.GetString()!, CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
            return new Marker(state, at, etag);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentNullException)
        {
            throw new InvalidDataException($"s3://{bucket}/{key} is not a redrive marker: {e.Message}", e);
        }
    }

    private static Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> action) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = MarkerWrites }, async (item, _) => await action(item).ConfigureAwait(false));

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

    // The record as archived (Redriven and ClaimedAt come from its marker, read apart).
    private async Task<ArchivedRecord> ReadAsync(string key, CancellationToken cancellationToken)
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
                Redriven: false);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"s3://{bucket}/{key} is not a DLQ archive record: {e.Message}", e);
        }
    }
}

// A record's marker: claimed, released or redriven; when (a claim's or release's time); its ETag for the next conditional write.
internal sealed record Marker(string State, DateTimeOffset? At, string ETag);

internal enum ClaimOutcome
{
    Ours,
    HeldByAnother,
    AlreadyRedriven,
}

internal sealed record RecordClaim(ArchivedRecord Record, ClaimOutcome Outcome, string? ETag);

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class DlqJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
