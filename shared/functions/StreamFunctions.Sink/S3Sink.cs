using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Formats.Objects;
using StreamFunctions.KinesisApi;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Events.Kafka;
using StreamFunctions.Lambda.Events.Kinesis;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Sink.Partitioning;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink;

/// <summary>The steps of a write and a flush, in order: where a crash can happen (and what tests kill at).</summary>
public enum SinkStage
{
    /// <summary>The batch is encoded; its chunk is about to be staged.</summary>
    BeforeChunkPut,

    /// <summary>The chunk is staged in S3; the state does not reference it yet.</summary>
    AfterChunkPut,

    /// <summary>The state references the chunk and the batch's last sequence number: the batch is durable.</summary>
    AfterBatchCommit,

    /// <summary>A multipart part is about to be uploaded.</summary>
    BeforePartUpload,

    /// <summary>A part is uploaded; the state does not record it yet.</summary>
    AfterPartUpload,

    /// <summary>The state records the part (its staged chunks are released).</summary>
    AfterPartCommit,

    /// <summary>Due partitions are sealed: their object keys and contents are final.</summary>
    AfterSeal,

    /// <summary>A multipart upload is about to be completed.</summary>
    BeforeComplete,

    /// <summary>A multipart upload is completed (into staging); the object is not yet at its key.</summary>
    AfterComplete,

    /// <summary>The delivered objects are at their keys; the state still lists their partitions.</summary>
    AfterObjectWrite,

    /// <summary>The state no longer lists the delivered partitions.</summary>
    AfterFlushCommit,
}

/// <summary>What a write did.</summary>
/// <param name="SourceRecords">Records in the event.</param>
/// <param name="Skipped">Records already durable (a redelivery) and skipped.</param>
/// <param name="Delivered">User records buffered for delivery (Ok).</param>
/// <param name="Dropped">User records the transformation dropped.</param>
/// <param name="Failed">User records sent to the error prefix.</param>
/// <param name="ObjectsWritten">Objects delivered during the call.</param>
/// <param name="FlushError">Why a flush after the durable write failed (the records are safe; the flush is retried), or null.</param>
public sealed record SinkResult(int SourceRecords, int Skipped, int Delivered, int Dropped, int Failed, int ObjectsWritten, string? FlushError)
{
    /// <summary>Adds two results.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>The sum.</returns>
    public static SinkResult operator +(SinkResult left, SinkResult right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(left.SourceRecords + right.SourceRecords, left.Skipped + right.Skipped, left.Delivered + right.Delivered, left.Dropped + right.Dropped, left.Failed + right.Failed, left.ObjectsWritten + right.ObjectsWritten, left.FlushError ?? right.FlushError);
    }

    /// <summary>Adds two results.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>The sum.</returns>
    public static SinkResult Add(SinkResult left, SinkResult right) => left + right;

    /// <summary>User records accounted for: delivered, dropped by the transformation, or sent to the error prefix.</summary>
    public int UserRecords => Delivered + Dropped + Failed;
}

/// <summary>
/// A Firehose-style S3 sink for Lambda stream triggers. Each batch is de-aggregated, transformed, given
/// its prefix (dynamic partitioning), encoded and compressed per partition, and staged in S3 as one chunk
/// object; then the shard's state in DynamoDB records the chunk and the batch's last sequence number in one
/// conditional write. Only after that write does the call return (the batch is acknowledged), so a crash
/// at any point loses nothing; a redelivered batch is recognised by its sequence numbers and skipped.
/// Partitions are delivered when their size or interval hint is reached: staged bytes become multipart
/// parts of at least 5 MiB as they accumulate, and a delivery first seals the partition (fixing its object
/// key — <c>prefix/stream-shard-firstSeq-lastSeq.ext</c> — and content), then writes the object, then drops
/// the partition from the state. Every step is idempotent, so a crash and a retry rewrite the same object
/// instead of adding a duplicate.
/// </summary>
public sealed class S3Sink
{
    private const string ProcessingFailed = "processing-failed";
    private const string PartitioningFailed = "partitioning-failed";
    private const string ActivePartitionExceeded = "activePartitionExceeded";
    private const string FormatConversionFailed = "format-conversion-failed";

    /// <summary>Every <c>!{firehose:error-output-type}</c> the sink renders its error prefix with.</summary>
    internal static readonly string[] ErrorOutputTypes = [ProcessingFailed, PartitioningFailed, ActivePartitionExceeded, FormatConversionFailed];

    private readonly IAmazonS3 _s3;
    private readonly ISinkStateStore _store;
    private readonly S3SinkOptions _options;
    private readonly IRecordTransform? _transform;
    private readonly TimeProvider _time;
    private readonly Action<SinkStage>? _onStage;
    private readonly PartitionTemplate _prefix;
    private readonly PartitionTemplate _errorPrefix;
    private readonly PartitionTemplate? _backupPrefix;
    private readonly PartitionKeyQuery? _query;

    // The widest rendering of the error and backup prefixes (they have no keys), with their settings' names.
    private readonly (string Widest, string Setting)[] _fixedPrefixes;

    /// <summary>How many bytes of source records a processing block holds at least (tests: <see cref="int.MaxValue"/> for one block per batch).</summary>
    internal int BlockBytes { get; init; } = 512 * 1024;

    /// <summary>Creates the sink.</summary>
    /// <param name="s3">The S3 client (objects and staging).</param>
    /// <param name="store">The shard states.</param>
    /// <param name="options">Settings; validated.</param>
    /// <param name="transform">The data transformation, if any (in process, or <see cref="LambdaRecordTransform"/>).</param>
    /// <param name="time">The clock (arrival of partitions, intervals).</param>
    /// <param name="onStage">Called at each <see cref="SinkStage"/> (fault injection in tests, tracing).</param>
    public S3Sink(IAmazonS3 s3, ISinkStateStore store, S3SinkOptions options, IRecordTransform? transform = null, TimeProvider? time = null, Action<SinkStage>? onStage = null)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _s3 = s3;
        _store = store;
        _options = options.Validate();
        _transform = transform;
        _time = time ?? TimeProvider.System;
        _onStage = onStage;
        _prefix = PartitionTemplate.Parse(options.Prefix);
        _errorPrefix = PartitionTemplate.Parse(options.ErrorPrefix, isErrorPrefix: true);
        _backupPrefix = options.BackupPrefix is null ? null : PartitionTemplate.Parse(options.BackupPrefix);
        _query = _prefix.QueryKeys.Count > 0 ? new PartitionKeyQuery(options.PartitionKeyQueries) : null;
        _fixedPrefixes = [(_errorPrefix.RenderWidest(ErrorOutputTypes), nameof(S3SinkOptions.ErrorPrefix)), .. _backupPrefix is null ? [] : new[] { (_backupPrefix.RenderWidest(ErrorOutputTypes), nameof(S3SinkOptions.BackupPrefix)) }];
    }

    /// <summary>Writes a Kinesis batch. Returns once its records are durable.</summary>
    /// <param name="evnt">The event.</param>
    /// <param name="deadline">When to stop starting flushes (leave time to answer).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="SinkBatchFailedException">The batch could not be made durable; nothing of it is acknowledged, Lambda retries it.</exception>
    public async Task<SinkResult> WriteAsync(KinesisEvent evnt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        using var batch = KinesisEventReader.Read(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KinesisEvent));
        return await WriteAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a stream batch (Kinesis, or Kafka: MSK or self-managed), each shard or topic-partition on its own.
    /// Returns once its records are durable.
    /// </summary>
    /// <param name="batch">The event's records (the handler reads them with <see cref="StreamEventReader"/>).</param>
    /// <param name="deadline">When to stop starting flushes (leave time to answer).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="SinkBatchFailedException">The batch could not be made durable; nothing of it is acknowledged, Lambda retries it.</exception>
    public async Task<SinkResult> WriteAsync(StreamRecordBatch batch, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var result = Empty;
        foreach (var partition in batch.Partitions)
        {
            var (stream, shard) = ShardOf(partition);
            result += await WriteShardAsync(stream, shard, Sources(partition), deadline, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// Encodes a Kinesis batch exactly as a write stages it — de-aggregation, transformation, partitioning,
    /// encoding and compression into one chunk — without reading or writing S3 or the state (benchmarks, dry runs).
    /// </summary>
    /// <param name="evnt">The event (one shard).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The chunk and what went into it.</returns>
    public async Task<SinkEncoding> EncodeAsync(KinesisEvent evnt, CancellationToken cancellationToken = default)
    {
        using var batch = KinesisEventReader.Read(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KinesisEvent));
        return await EncodeAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Encodes a stream batch's first shard or topic-partition exactly as a write stages it — de-aggregation,
    /// transformation, partitioning, encoding and compression into one chunk — without reading or writing S3 or the
    /// state (benchmarks, dry runs).
    /// </summary>
    /// <param name="batch">The event's records (one shard).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The chunk and what went into it.</returns>
    public async Task<SinkEncoding> EncodeAsync(StreamRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Partitions.Count == 0)
        {
            return new SinkEncoding(0, 0, 0, 0, ReadOnlyMemory<byte>.Empty);
        }

        var partition = batch.Partitions[0];
        var (stream, shard) = ShardOf(partition);
        var state = new SinkShardState { Stream = stream, Shard = shard };
        var staged = await EncodeAsync(state, Sources(partition), cancellationToken).ConfigureAwait(false);
        return new SinkEncoding(staged.Delivered, staged.Dropped, staged.Failed, staged.Writes.Count, staged.Chunk ?? ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>Writes a Kafka batch (MSK or self-managed), each topic-partition as a shard. Returns once its records are durable.</summary>
    /// <param name="evnt">The event.</param>
    /// <param name="deadline">When to stop starting flushes.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="SinkBatchFailedException">The batch could not be made durable.</exception>
    public async Task<SinkResult> WriteAsync(KafkaEvent evnt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        using var batch = KafkaEventReader.Read(JsonSerializer.SerializeToUtf8Bytes(evnt, LambdaEventsJsonContext.Default.KafkaEvent));
        return await WriteAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
    }

    // A Kinesis shard by its stream's name; a Kafka topic-partition as topic and partition number.
    private static (string Stream, string Shard) ShardOf(StreamPartition partition) => partition.Kind == StreamSourceKind.Kinesis
        ? (StreamName(partition.SourceArn ?? "kinesis"), partition.Key)
        : (partition.Topic!, partition.KafkaPartition.ToString(CultureInfo.InvariantCulture));

    private static List<Source> Sources(StreamPartition partition)
    {
        var records = partition.Records;
        var sources = new List<Source>(records.Count);
        foreach (var r in records)
        {
            sources.Add(r.MayBeAggregated
                ? new Source(r.Sequence, r.Timestamp, r.PartitionKey, r.Data, true)
                : new Source(r.Sequence, r.Timestamp, r.Key is { } key ? Encoding.UTF8.GetString(key.Span) : null, r.Data, false));
        }

        return sources;
    }

    /// <summary>
    /// Delivers every partition whose interval has passed, across all shards (run on a schedule, so that a
    /// shard that receives nothing still delivers on time), and finishes deliveries a crash interrupted.
    /// </summary>
    /// <param name="deadline">When to stop.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>Objects delivered, and the first error (each shard is tried).</returns>
    public Task<(int Objects, string? Error)> FlushDueAsync(DateTimeOffset deadline, CancellationToken cancellationToken = default) =>
        FlushShardsAsync(deadline, all: false, cancellationToken);

    /// <summary>
    /// Delivers every open partition now, whatever its buffering hints, across all shards: the end of a bounded
    /// input (the local pipeline's last step), or before a sink is taken down.
    /// </summary>
    /// <param name="deadline">When to stop.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>Objects delivered, and the first error (each shard is tried).</returns>
    public Task<(int Objects, string? Error)> FlushAllAsync(DateTimeOffset deadline, CancellationToken cancellationToken = default) =>
        FlushShardsAsync(deadline, all: true, cancellationToken);

    private async Task<(int Objects, string? Error)> FlushShardsAsync(DateTimeOffset deadline, bool all, CancellationToken cancellationToken)
    {
        var objects = 0;
        string? error = null;
        await foreach (var (stream, shard) in _store.ShardsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_time.GetUtcNow() >= deadline)
            {
                break;
            }

            try
            {
                var state = await _store.LoadAsync(stream, shard, cancellationToken).ConfigureAwait(false);
                objects += await FlushAsync(state, deadline, cancellationToken, all: all).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                error ??= $"{stream}/{shard}: {e.Message}";
            }
        }

        return (objects, error);
    }

    /// <summary>The object key a partition is delivered to.</summary>
    /// <param name="state">The shard.</param>
    /// <param name="partition">The partition.</param>
    /// <returns>The key.</returns>
    public string ObjectKey(SinkShardState state, PartitionBuffer partition)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(partition);
        var extension = partition.Kind == PartitionKind.Data && _options.Format == SinkFormat.Parquet
            ? ".parquet"
            : (partition.Kind == PartitionKind.Backup && !_options.NewlineDelimiter ? ".bin" : ".jsonl") + _options.Compression.FileExtension;
        return $"{partition.Prefix}{state.Stream}-{state.Shard}-{partition.FirstSequence}-{partition.LastSequence}{extension}";
    }

    private static SinkResult Empty => new(0, 0, 0, 0, 0, 0, null);

    // What S3, DynamoDB and the network throw when a later attempt may succeed (AmazonS3Exception is an AmazonServiceException).
    private static bool IsTransient(Exception e) => e is Amazon.Runtime.AmazonServiceException or SinkStateConflictException or HttpRequestException or IOException;

    private static string StreamName(string arn) => arn[(arn.LastIndexOf('/') + 1)..];

    private async Task<SinkResult> WriteShardAsync(string stream, string shard, List<Source> sources, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            SinkShardState state;
            Staged staged;
            var skipped = 0;
            try
            {
                state = await _store.LoadAsync(stream, shard, cancellationToken).ConfigureAwait(false);
                var objects = await FinishSealedAsync(state, null, cancellationToken).ConfigureAwait(false);
                var fresh = state.LastSequence is null ? sources : [.. sources.Where(s => SequenceNumbers.Compare(s.Sequence, state.LastSequence) > 0)];
                skipped = sources.Count - fresh.Count;
                if (fresh.Count == 0)
                {
                    var flushed = await TryFlushAsync(state, deadline, null, cancellationToken).ConfigureAwait(false);
                    return new SinkResult(sources.Count, skipped, 0, 0, 0, objects + flushed.Objects, flushed.Error);
                }

                staged = await StageAsync(state, fresh, cancellationToken).ConfigureAwait(false);
                Apply(state, staged, fresh[^1].Sequence);
                await _store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
                _onStage?.Invoke(SinkStage.AfterBatchCommit);
                var after = await TryFlushAsync(state, deadline, staged, cancellationToken).ConfigureAwait(false);
                return new SinkResult(sources.Count, skipped, staged.Delivered, staged.Dropped, staged.Failed, objects + after.Objects, after.Error);
            }
            catch (SinkStateConflictException) when (attempt < 4)
            {
                // Another writer (the scheduled flush) changed the state: read it again and redo the batch.
            }
            catch (Exception e) when ((IsTransient(e) || e is TaskCanceledException) && !cancellationToken.IsCancellationRequested)
            {
                throw new SinkBatchFailedException($"{stream}/{shard}: the batch from {sources[0].Sequence} could not be made durable: {e.Message}", e);
            }
        }
    }

    private async Task<(int Objects, string? Error)> TryFlushAsync(SinkShardState state, DateTimeOffset deadline, Staged? staged, CancellationToken cancellationToken)
    {
        try
        {
            return (await FlushAsync(state, deadline, cancellationToken, staged).ConfigureAwait(false), null);
        }
        catch (Exception e) when (IsTransient(e))
        {
            return (0, e.Message);
        }
    }

    // Uploads parts of partitions that have enough staged bytes, seals the due partitions and delivers them.
    private async Task<int> FlushAsync(SinkShardState state, DateTimeOffset deadline, CancellationToken cancellationToken, Staged? staged = null, bool all = false)
    {
        var objects = await FinishSealedAsync(state, staged, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var due = state.Partitions.Where(p => !p.Sealed && (all || p.RawBytes >= _options.BufferSizeBytes || now - p.OpenedAtMs >= (long)_options.BufferInterval.TotalMilliseconds)).ToList();
        if (DynamoDbSinkStateStore.SizeOf(state) > _options.StateFlushBytes)
        {
            // The state is getting large (many partitions or segments): deliver the half with the most segments now.
            var open = state.Partitions.Where(p => !p.Sealed && !due.Contains(p)).OrderByDescending(p => p.Segments.Count).ToList();
            due.AddRange(open.Take(Math.Max(1, open.Count / 2)));
        }

        foreach (var partition in state.Partitions.Where(p => !p.Sealed && !due.Contains(p) && UsesParts(p) && p.SegmentBytes >= _options.PartSize).ToList())
        {
            if (_time.GetUtcNow() >= deadline)
            {
                return objects;
            }

            await UploadPartAsync(state, partition, staged, cancellationToken).ConfigureAwait(false);
        }

        if (due.Count == 0 || _time.GetUtcNow() >= deadline)
        {
            return objects;
        }

        foreach (var partition in due)
        {
            partition.Sealed = true;
        }

        await _store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
        _onStage?.Invoke(SinkStage.AfterSeal);
        return objects + await FinishSealedAsync(state, staged, cancellationToken).ConfigureAwait(false);
    }

    private bool IsGzip(PartitionBuffer partition) => UsesParts(partition) && _options.Compression.Codec == CompressionCodec.Gzip;

    // A GZIP object is one member: the header before the first part, the trailer after the last.
    private byte[] Frame(PartitionBuffer partition, byte[] segments, bool first, bool last)
    {
        if (!IsGzip(partition) || (!first && !last))
        {
            return segments;
        }

        var header = first ? GzipSegments.Header : [];
        var trailer = last ? GzipSegments.Trailer(partition.ContentCrc, partition.ContentLength) : [];
        var framed = new byte[header.Length + segments.Length + trailer.Length];
        header.CopyTo(framed);
        segments.CopyTo(framed.AsSpan(header.Length));
        trailer.CopyTo(framed.AsSpan(header.Length + segments.Length));
        return framed;
    }

    private bool UsesParts(PartitionBuffer partition) => !(partition.Kind == PartitionKind.Data && _options.Format == SinkFormat.Parquet);

    private async Task UploadPartAsync(SinkShardState state, PartitionBuffer partition, Staged? staged, CancellationToken cancellationToken)
    {
        if (partition.UploadId is null)
        {
            partition.UploadKey = $"{_options.StagingPrefix}{state.Stream}/{state.Shard}/uploads/{PartitionId(partition)}-{partition.FirstSequence}";
            var created = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = partition.UploadKey }, cancellationToken).ConfigureAwait(false);
            partition.UploadId = created.UploadId;
            await _store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
        }

        var number = partition.Parts.Count + 1;
        var data = Frame(partition, await ReadSegmentsAsync(state, partition.Segments, staged, cancellationToken).ConfigureAwait(false), first: number == 1, last: false);
        _onStage?.Invoke(SinkStage.BeforePartUpload);
        var etag = await PutPartAsync(partition, number, data, cancellationToken).ConfigureAwait(false);
        _onStage?.Invoke(SinkStage.AfterPartUpload);
        partition.Parts.Add(new UploadedPart(number, etag, data.Length));
        partition.Segments.Clear();
        var released = ReleaseChunks(state);
        await _store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
        _onStage?.Invoke(SinkStage.AfterPartCommit);
        await DeleteAsync(released, cancellationToken).ConfigureAwait(false);
    }

    // Writes the objects of sealed partitions (idempotently: same key, same bytes), then drops them from the state.
    private async Task<int> FinishSealedAsync(SinkShardState state, Staged? staged, CancellationToken cancellationToken)
    {
        var sealedPartitions = state.Partitions.Where(p => p.Sealed).ToList();
        if (sealedPartitions.Count == 0)
        {
            return 0;
        }

        foreach (var partition in sealedPartitions)
        {
            await WriteObjectAsync(state, partition, staged, cancellationToken).ConfigureAwait(false);
        }

        _onStage?.Invoke(SinkStage.AfterObjectWrite);
        state.Partitions.RemoveAll(p => p.Sealed);
        var released = ReleaseChunks(state);
        await _store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
        _onStage?.Invoke(SinkStage.AfterFlushCommit);
        await DeleteAsync([.. released, .. sealedPartitions.Where(p => p.UploadKey is not null).Select(p => p.UploadKey!)], cancellationToken).ConfigureAwait(false);
        return sealedPartitions.Count;
    }

    private async Task WriteObjectAsync(SinkShardState state, PartitionBuffer partition, Staged? staged, CancellationToken cancellationToken)
    {
        var key = ObjectKey(state, partition);
        if (!UsesParts(partition))
        {
            var framed = await ReadSegmentsAsync(state, partition.Segments, staged, cancellationToken).ConfigureAwait(false);
            byte[] file;
            try
            {
                file = await ToParquetAsync(framed, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectWriterException e)
            {
                // Records that cannot share one file's columns (a field's type changed): the partition goes to the
                // error prefix as Firehose's format-conversion-failed, under a key as deterministic as the object's.
                await PutAsync(FormatErrorKey(state, partition), FormatErrorLines(state, partition, framed, e.Message), cancellationToken).ConfigureAwait(false);
                return;
            }

            await PutAsync(key, file, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (partition.UploadId is null)
        {
            await PutAsync(key, Frame(partition, await ReadSegmentsAsync(state, partition.Segments, staged, cancellationToken).ConfigureAwait(false), first: true, last: true), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!await ExistsAsync(partition.UploadKey!, cancellationToken).ConfigureAwait(false))
        {
            var parts = partition.Parts.Select(p => new PartETag(p.Number, p.ETag)).ToList();
            if (partition.Segments.Count > 0 || IsGzip(partition))
            {
                var data = Frame(partition, await ReadSegmentsAsync(state, partition.Segments, staged, cancellationToken).ConfigureAwait(false), first: parts.Count == 0, last: true);
                _onStage?.Invoke(SinkStage.BeforePartUpload);
                parts.Add(new PartETag(parts.Count + 1, await PutPartAsync(partition, parts.Count + 1, data, cancellationToken).ConfigureAwait(false)));
                _onStage?.Invoke(SinkStage.AfterPartUpload);
            }

            _onStage?.Invoke(SinkStage.BeforeComplete);
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = partition.UploadKey,
                UploadId = partition.UploadId,
                PartETags = parts,
            }, cancellationToken).ConfigureAwait(false);
            _onStage?.Invoke(SinkStage.AfterComplete);
        }

        await _s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = _options.Bucket,
            SourceKey = partition.UploadKey,
            DestinationBucket = _options.Bucket,
            DestinationKey = key,
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> PutPartAsync(PartitionBuffer partition, int number, byte[] data, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(data, writable: false);
        var response = await _s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _options.Bucket,
            Key = partition.UploadKey,
            UploadId = partition.UploadId,
            PartNumber = number,
            InputStream = body,
            PartSize = data.Length,
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
        return response.ETag;
    }

    private Task<PutObjectResponse> PutAsync(string key, byte[] data, CancellationToken cancellationToken) =>
        _s3.PutBytesAsync(_options.Bucket, key, data, cancellationToken: cancellationToken);

    private Task<PutObjectResponse> PutAsync(string key, ArraySegment<byte> data, CancellationToken cancellationToken) =>
        _s3.PutBytesAsync(_options.Bucket, key, data, cancellationToken: cancellationToken);

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _s3.GetObjectMetadataAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task DeleteAsync(List<string> keys, CancellationToken cancellationToken)
    {
        // Best effort: an object left behind is unreferenced and expires with the staging prefix's lifecycle rule.
        foreach (var key in keys)
        {
            try
            {
                await _s3.DeleteObjectAsync(_options.Bucket, key, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception)
            {
            }
        }
    }

    private async Task<byte[]> ReadSegmentsAsync(SinkShardState state, List<Segment> segments, Staged? staged, CancellationToken cancellationToken)
    {
        var data = new byte[segments.Sum(s => (long)s.Length)];
        var at = 0;
        foreach (var segment in segments)
        {
            if (staged is { ChunkId: var id, Chunk: { } chunk } && id == segment.Chunk)
            {
                chunk.AsSpan((int)segment.Offset, segment.Length).CopyTo(data.AsSpan(at));
            }
            else
            {
                using var response = await _s3.GetObjectAsync(new GetObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = state.Chunks[segment.Chunk],
                    ByteRange = new ByteRange(segment.Offset, segment.Offset + segment.Length - 1),
                }, cancellationToken).ConfigureAwait(false);
                await response.ResponseStream.ReadExactlyAsync(data.AsMemory(at, segment.Length), cancellationToken).ConfigureAwait(false);
            }

            at += segment.Length;
        }

        return data;
    }

    private string FormatErrorKey(SinkShardState state, PartitionBuffer partition) =>
        _errorPrefix.Render(new PartitionValues(DateTimeOffset.FromUnixTimeMilliseconds(partition.OpenedAtMs), ErrorOutputType: FormatConversionFailed))
        + $"{state.Stream}-{state.Shard}-{partition.FirstSequence}-{partition.LastSequence}.jsonl";

    private byte[] FormatErrorLines(SinkShardState state, PartitionBuffer partition, byte[] framed, string message)
    {
        var lines = new ArrayBufferWriter<byte>(framed.Length * 2);
        var at = 0;
        while (at < framed.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(framed.AsSpan(at));
            WriteErrorLine(lines, state, "DataFormatConversion.InvalidSchema", $"The partition's records do not convert to one Parquet file: {message}", framed.AsSpan(at + 4, length), partition: partition.Prefix);
            at += 4 + length;
        }

        return lines.WrittenSpan.ToArray();
    }

    // One Firehose error record, as a JSON line: the error, the payload (rawData) and where it came from.
    private void WriteErrorLine(
        IBufferWriter<byte> buffer,
        SinkShardState state,
        string errorCode,
        string message,
        ReadOnlySpan<byte> rawData,
        DateTimeOffset? arrival = null,
        string? lambdaArn = null,
        string? sequence = null,
        long? subsequence = null,
        string? partitionKey = null,
        string? partition = null)
    {
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("attemptsMade", 1);
            if (arrival is { } at)
            {
                writer.WriteNumber("arrivalTimestamp", at.ToUnixTimeMilliseconds());
            }

            writer.WriteString("errorCode", errorCode);
            writer.WriteString("errorMessage", message);
            writer.WriteNumber("attemptEndingTimestamp", _time.GetUtcNow().ToUnixTimeMilliseconds());
            writer.WriteBase64String("rawData", rawData);
            WriteIfSet(writer, "lambdaArn", lambdaArn);
            writer.WriteString("stream", state.Stream);
            writer.WriteString("shard", state.Shard);
            WriteIfSet(writer, "sequenceNumber", sequence);
            if (subsequence is { } sub)
            {
                writer.WriteNumber("subSequenceNumber", sub);
            }

            WriteIfSet(writer, "partitionKey", partitionKey);
            WriteIfSet(writer, "partition", partition);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);

        static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
        {
            if (value is not null)
            {
                writer.WriteString(name, value);
            }
        }
    }

    // Why a record cannot be a Parquet row, or null: it must be one JSON object, and its names and strings must have
    // text (an escaped lone surrogate has none). Rows are read at delivery, where this would fail the whole shard's.
    private static string? NotAParquetRow(ReadOnlySpan<byte> data)
    {
        const string NotAnObject = "The record is not one JSON object: Parquet takes one object per row.";
        try
        {
            var reader = new Utf8JsonReader(data, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return NotAnObject;
            }

            while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 0))
            {
                if (reader.ValueIsEscaped && reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    _ = reader.GetString();
                }
            }

            return reader.Read() ? NotAnObject : null;
        }
        catch (JsonException)
        {
            return NotAnObject;
        }
        catch (InvalidOperationException)
        {
            return "The record holds a string that is not valid Unicode (an escaped lone surrogate): Parquet strings are text.";
        }
    }

    private async Task<byte[]> ToParquetAsync(byte[] framed, CancellationToken cancellationToken)
    {
        using var file = new MemoryStream();
        var writer = new ParquetObjectWriter(file, _options.Parquet);
        await using (writer.ConfigureAwait(false))
        {
            var at = 0;
            while (at < framed.Length)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(framed.AsSpan(at));
                await writer.WriteAsync(framed.AsMemory(at + 4, length), cancellationToken).ConfigureAwait(false);
                at += 4 + length;
            }

            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        return file.ToArray();
    }

    // Chunks no segment refers to any more: removed from the state (in the commit that releases them) and deleted after it.
    private static List<string> ReleaseChunks(SinkShardState state)
    {
        var referenced = state.Partitions.SelectMany(p => p.Segments).Select(s => s.Chunk).ToHashSet();
        var released = state.Chunks.Where(c => !referenced.Contains(c.Key)).ToList();
        foreach (var chunk in released)
        {
            state.Chunks.Remove(chunk.Key);
        }

        return [.. released.Select(c => c.Value)];
    }

    private static string PartitionId(PartitionBuffer partition) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{partition.Kind}:{partition.Prefix}")).AsSpan(0, 8));

    // De-aggregates, transforms, partitions, encodes and compresses the fresh records, and stages them as one chunk object.
    private async Task<Staged> StageAsync(SinkShardState state, List<Source> fresh, CancellationToken cancellationToken)
    {
        var staged = await EncodeAsync(state, fresh, cancellationToken).ConfigureAwait(false);
        if (staged.Chunk is { } chunk)
        {
            _onStage?.Invoke(SinkStage.BeforeChunkPut);
            await PutAsync(staged.ChunkKey!, chunk, cancellationToken).ConfigureAwait(false);
            _onStage?.Invoke(SinkStage.AfterChunkPut);
        }

        return staged;
    }

    private async Task<Staged> EncodeAsync(SinkShardState state, List<Source> fresh, CancellationToken cancellationToken)
    {
        var encoder = new BatchEncoder(this, state);
        var keySets = new KeySetCache();
        var prefixes = new PrefixCache(NameBytes(state, fresh[^1].Sequence));
        CheckFixedPrefixes(state, prefixes.NameBytes);

        // In blocks of source records, so that a block's bytes are still in the core's cache when they are
        // transformed, partitioned and copied after their checksums were checked (a 6 MB batch is several times
        // the cache; stage by stage, each stage would read it from memory again). Only an in-process block
        // transform (or none) is called per block; any other transformation (a Lambda, or a remote or
        // asynchronous one) gets the whole batch in one call, as Firehose invokes a Lambda per batch.
        // A block is at least 16 source records (the KPL checksums of 16 aggregates are computed side by side)
        // and at least BlockBytes (int.MaxValue, as tests set it, makes the whole batch one block).
        var inProcess = _transform as IRecordBlockTransform;
        var whole = _transform is not null && inProcess is null;
        var users = new List<User>();
        using var block = inProcess is null ? null : new TransformBlock(pooled: true, i => new TransformRecordInfo(users[i].Source.Arrival, users[i].Source.PartitionKey, state.Shard, users[i].Source.Sequence, users[i].Subsequence));
        var deaggregated = new List<Range>();
        var outcomes = Array.Empty<Transformed>();
        for (var first = 0; first < fresh.Count;)
        {
            var end = first;
            long bytes = 0;
            while (end < fresh.Count && (whole || end - first < 16 || bytes < BlockBytes))
            {
                bytes += fresh[end++].Data.Length;
            }

            users.Clear();
            Deaggregate(fresh.GetRange(first, end - first), users, deaggregated);
            if (inProcess is not null)
            {
                // The results are read from the block itself.
                Transform(inProcess, block!, users);
                Encode(encoder, users, new Outcomes(block, null), keySets, prefixes);
            }
            else
            {
                if (_transform is not null)
                {
                    if (outcomes.Length < users.Count)
                    {
                        outcomes = new Transformed[Math.Max(users.Count, outcomes.Length * 2)];
                    }

                    await TransformAsync(_transform, state, users, outcomes, cancellationToken).ConfigureAwait(false);
                }

                Encode(encoder, users, new Outcomes(null, _transform is null ? null : outcomes), keySets, prefixes);
            }
            if (first == 0 && end < fresh.Count)
            {
                // The first block shows how the batch divides among its partitions: each partition's buffer is
                // sized for its share of the whole batch now, instead of doubling (and copying) as it fills.
                encoder.Reserve(fresh.Sum(f => (long)f.Data.Length) / (double)Math.Max(1, bytes));
            }

            first = end;
        }

        return encoder.Finish(fresh[0].Sequence, fresh[^1].Sequence);
    }

    // Into users, through the one batch de-aggregation; deaggregated is the blocks' shared scratch list of where the
    // user records' data are (a list per block would be allocated again and again).
    private static void Deaggregate(List<Source> sources, List<User> users, List<Range> deaggregated)
    {
        var data = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(sources.Count);
        var decoded = new List<DeaggregatedRecord>(sources.Count);
        try
        {
            for (var i = 0; i < sources.Count; i++)
            {
                data[i] = sources[i].Data;
            }

            KplBatchDeaggregator.Deaggregate(data.AsSpan(0, sources.Count), sources[0].MayBeAggregated, decoded, deaggregated);
            users.Capacity = Math.Max(users.Capacity, users.Count + decoded.Count);
            foreach (var user in decoded)
            {
                // The record-level reason: the error line names the record by its sequence number.
                users.Add(new User(sources[user.Source], user.Subsequence, user.Data, user.Error is null ? null : $"Corrupt KPL aggregate: {user.ErrorMessage}"));
            }
        }
        finally
        {
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(data, clearArray: true);
        }
    }

    private void Encode(BatchEncoder encoder, List<User> users, Outcomes outcomes, KeySetCache keySets, PrefixCache prefixes)
    {
        for (int i = 0, transformed = 0; i < users.Count; i++)
        {
            var user = users[i];
            if (_backupPrefix is not null)
            {
                encoder.Add(PartitionKind.Backup, _backupPrefix.Render(new PartitionValues(user.Source.Arrival)), user, user.Data);
            }

            if (user.Error is not null)
            {
                encoder.AddError(ProcessingFailed, "KinesisAggregation.CorruptRecord", user.Error, user);
                continue;
            }

            var data = user.Data;
            IReadOnlyDictionary<string, string>? lambdaKeys = null;
            if (outcomes.Any)
            {
                var outcome = outcomes.Of(i, transformed++);
                switch (outcome.Result)
                {
                    case TransformResult.Dropped:
                        encoder.Dropped++;
                        continue;
                    case TransformResult.ProcessingFailed:
                        encoder.AddError(ProcessingFailed, "Lambda.ProcessingFailed", outcome.Error ?? "The transformation returned ProcessingFailed.", user);
                        continue;
                }

                data = outcome.Data;
                lambdaKeys = outcome.Keys;
            }

            Route route;
            try
            {
                var queryKeys = _query?.Extract(data.Span, keySets);
                route = RouteOf(prefixes, new PartitionValues(user.Source.Arrival, queryKeys, lambdaKeys));
            }
            catch (PartitioningException e)
            {
                encoder.AddError(PartitioningFailed, "DynamicPartitioning.MetadataExtractionFailed", e.Message, user);
                continue;
            }

            if (route.Refused is { } why)
            {
                encoder.AddError(PartitioningFailed, "DynamicPartitioning.MetadataExtractionFailed", why, user);
                continue;
            }

            // A route with a buffer already holds a record, so its partition is open.
            if (route.Data is null && !encoder.CanOpen(route.Prefix))
            {
                encoder.AddError(ActivePartitionExceeded, "DynamicPartitioning.ActivePartitionsLimitExceeded", $"The shard has {_options.MaxActivePartitions} active partitions (the limit); '{route.Prefix}' would be one more.", user);
                continue;
            }

            if (_options.Format == SinkFormat.Parquet && NotAParquetRow(data.Span) is { } notARow)
            {
                encoder.AddError(FormatConversionFailed, "DataFormatConversion.MalformedData", notARow, user);
                continue;
            }

            route.Data ??= encoder.Find(PartitionKind.Data, route.Prefix, user);
            encoder.Add(route.Data, user, data);
            encoder.Delivered++;
        }
    }

    // A batch's records share a few key sets (KeySetCache) and arrival seconds, so their prefix is rendered (and its
    // buffer found, and its length checked) once per combination.
    private Route RouteOf(PrefixCache rendered, in PartitionValues values)
    {
        var seconds = values.Arrival.ToUnixTimeSeconds();
        if (!rendered.TryGet(values.QueryKeys, values.LambdaKeys, seconds, out var route))
        {
            var prefix = _prefix.Render(values);
            route = new Route(prefix, PartitionTemplate.KeyLimitProblem(prefix, rendered.NameBytes, _options.MaxKeySegmentBytes));
            rendered.Add(values.QueryKeys, values.LambdaKeys, seconds, route);
        }

        return route;
    }

    // The error and backup prefixes have no keys, so the widest of their renderings bounds them all: with this batch's
    // object names, if their keys could pass S3's 1,024 bytes (or the folder store's segment), nothing of the batch is
    // written and it fails with the setting named (S3SinkOptions.Validate refuses such a prefix for usual names up front;
    // this is for the names of this stream and shard). Writing the batch would fail at delivery instead, with records
    // of other partitions already staged.
    private void CheckFixedPrefixes(SinkShardState state, int nameBytes)
    {
        foreach (var (widest, setting) in _fixedPrefixes)
        {
            if (PartitionTemplate.KeyLimitProblem(widest, nameBytes, _options.MaxKeySegmentBytes) is { } problem)
            {
                throw new SinkConfigurationException($"{setting} cannot hold the objects of stream '{state.Stream}', shard '{state.Shard}': {problem} Shorten {setting}; nothing of this batch was written.");
            }
        }
    }

    // The longest object name a partition holding this batch's records can get, in bytes: sequence numbers grow within
    // a shard, so none of its partitions' is longer than the batch's last.
    private int NameBytes(SinkShardState state, string lastSequence) =>
        _options.ObjectNameBytes(Encoding.UTF8.GetByteCount(state.Stream), Encoding.UTF8.GetByteCount(state.Shard), lastSequence.Length);

    // The block's records (those not already failed) through an in-process block transform; their info is made
    // only if the transform asks for it (the block's info function, by index in users).
    private static void Transform(IRecordBlockTransform transform, TransformBlock block, List<User> users)
    {
        block.Clear();
        block.EnsureCapacity(users.Count);
        for (var i = 0; i < users.Count; i++)
        {
            if (users[i].Error is null)
            {
                block.Add(users[i].Data, i);
            }
        }

        transform.Transform(block);
    }

    private static async Task TransformAsync(IRecordTransform transform, SinkShardState state, List<User> users, Transformed[] outcomes, CancellationToken cancellationToken)
    {
        var inputs = new List<TransformInput>(users.Count);
        var indexes = new List<int>(users.Count);
        for (var i = 0; i < users.Count; i++)
        {
            var user = users[i];
            if (user.Error is null)
            {
                indexes.Add(i);
                inputs.Add(new TransformInput(
                    $"{user.Source.Sequence}.{user.Subsequence.ToString(CultureInfo.InvariantCulture)}",
                    user.Source.Arrival,
                    user.Data,
                    user.Source.PartitionKey,
                    state.Shard,
                    user.Source.Sequence,
                    user.Subsequence));
            }
        }

        var results = inputs.Count == 0 ? [] : await transform.TransformAsync(inputs, cancellationToken).ConfigureAwait(false);
        if (results.Count != inputs.Count)
        {
            throw new InvalidOperationException($"The transformation returned {results.Count} outputs for {inputs.Count} records; IRecordTransform returns one per record, in order.");
        }

        for (var i = 0; i < indexes.Count; i++)
        {
            var output = results[i].RecordId == inputs[i].RecordId
                ? results[i]
                : TransformOutput.Failed(inputs[i], $"The transformation returned record {results[i].RecordId} where {inputs[i].RecordId} was expected.");
            outcomes[indexes[i]] = new Transformed(output.Result, output.Data, output.PartitionKeys, output.ErrorMessage);
        }
    }

    private void Apply(SinkShardState state, Staged staged, string lastSequence)
    {
        state.LastSequence = lastSequence;
        if (staged.ChunkKey is null)
        {
            return;
        }

        var id = state.NextChunk++;
        staged.ChunkId = id;
        state.Chunks[id] = staged.ChunkKey;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var write in staged.Writes)
        {
            var partition = state.Partitions.FirstOrDefault(p => !p.Sealed && p.Kind == write.Kind && p.Prefix == write.Prefix);
            if (partition is null)
            {
                partition = new PartitionBuffer { Prefix = write.Prefix, Kind = write.Kind, FirstSequence = write.FirstSequence, OpenedAtMs = now };
                state.Partitions.Add(partition);
            }

            partition.Segments.Add(new Segment(id, write.Offset, write.Length));
            partition.ContentCrc = GzipSegments.Combine(partition.ContentCrc, write.Crc, write.ContentLength);
            partition.ContentLength += write.ContentLength;
            partition.LastSequence = write.LastSequence;
            partition.Records += write.Records;
            partition.RawBytes += write.RawBytes;
        }
    }

    // Routes by (query key set, Lambda key set, arrival second), the sets compared as instances (KeySetCache shares
    // them): the last few combinations are compared in place, the rest looked up.
    private sealed class PrefixCache(int nameBytes)
    {
        private readonly Dictionary<(object?, object?, long), Route> _all = [];
        private readonly RecentEntries<(object? Query, object? Lambda, long Seconds, Route Route)> _recent = new();

        // The longest object name of the batch's partitions, in bytes.
        public int NameBytes { get; } = nameBytes;

        public bool TryGet(object? query, object? lambda, long seconds, [NotNullWhen(true)] out Route? route)
        {
            foreach (var recent in _recent.Entries)
            {
                if (ReferenceEquals(recent.Query, query) && ReferenceEquals(recent.Lambda, lambda) && recent.Seconds == seconds)
                {
                    route = recent.Route;
                    return true;
                }
            }

            if (_all.TryGetValue((query, lambda, seconds), out route))
            {
                _recent.Remember((query, lambda, seconds, route));
                return true;
            }

            return false;
        }

        public void Add(object? query, object? lambda, long seconds, Route route)
        {
            _all[(query, lambda, seconds)] = route;
            _recent.Remember((query, lambda, seconds, route));
        }
    }

    // A rendered data prefix of a batch, why objects cannot be written under it (a key over the store's limits), and
    // its buffer once a record was delivered to it.
    private sealed class Route(string prefix, string? refused)
    {
        public string Prefix { get; } = prefix;

        public string? Refused { get; } = refused;

        public Pending? Data { get; set; }
    }

    private sealed record Source(string Sequence, DateTimeOffset Arrival, string? PartitionKey, ReadOnlyMemory<byte> Data, bool MayBeAggregated);

    private readonly record struct User(Source Source, long Subsequence, ReadOnlyMemory<byte> Data, string? Error);

    // What the transformation made of a user record (Ok data is valid until the next block is transformed).
    private readonly record struct Transformed(TransformResult Result, ReadOnlyMemory<byte> Data, IReadOnlyDictionary<string, string>? Keys, string? Error);

    // Where a block's outcomes are: the in-process block (by the index among the records it was given, those not
    // already failed), the outcomes of another transformation (by user index), or none (no transformation).
    private readonly struct Outcomes(TransformBlock? block, Transformed[]? list)
    {
        public bool Any => block is not null || list is not null;

        public Transformed Of(int user, int transformed)
        {
            if (block is null)
            {
                return list![user];
            }

            var (result, data, keys, error) = block.Result(transformed);
            return new Transformed(result, data, keys, error);
        }
    }

    private sealed record PartitionWrite(PartitionKind Kind, string Prefix, string FirstSequence, string LastSequence, long Records, long RawBytes, long Offset, int Length, uint Crc, long ContentLength);

    private sealed class Staged(string? chunkKey, ArraySegment<byte>? chunk, List<PartitionWrite> writes, int delivered, int dropped, int failed)
    {
        public string? ChunkKey { get; } = chunkKey;

        public ArraySegment<byte>? Chunk { get; } = chunk;

        public List<PartitionWrite> Writes { get; } = writes;

        public int Delivered { get; } = delivered;

        public int Dropped { get; } = dropped;

        public int Failed { get; } = failed;

        public int ChunkId { get; set; } = -1;
    }

    // Collects each partition's encoded records, then compresses each partition's bytes as an independent
    // member (gzip members, zstd frames and snappy streams concatenate) into one chunk.
    private sealed class BatchEncoder(S3Sink sink, SinkShardState state)
    {
        private readonly Dictionary<(PartitionKind, string), Pending> _pending = [];
        private readonly HashSet<string> _open = [.. state.Partitions.Where(p => p.Kind == PartitionKind.Data && !p.Sealed).Select(p => p.Prefix)];

        public int Delivered { get; set; }

        public int Dropped { get; set; }

        public int Failed { get; private set; }

        // The partitions the last records went to: a batch's records mostly share a few prefixes, each rendered
        // once (the same string instance), so reference comparisons save hashing the prefix per record.
        private readonly RecentEntries<(PartitionKind Kind, string Prefix, Pending Pending)> _recent = new();

        public bool CanOpen(string prefix)
        {
            foreach (var recent in _recent.Entries)
            {
                // A data partition has a buffer only once it was allowed to open.
                if (recent.Kind == PartitionKind.Data && ReferenceEquals(recent.Prefix, prefix))
                {
                    return true;
                }
            }

            return _open.Contains(prefix) || (_open.Count < sink._options.MaxActivePartitions && _open.Add(prefix));
        }

        public void Add(PartitionKind kind, string prefix, User user, ReadOnlyMemory<byte> data) => Add(Find(kind, prefix, user), user, data);

        // A record into a buffer Find gave.
        public void Add(Pending pending, User user, ReadOnlyMemory<byte> data)
        {
            pending.LastSequence = user.Source.Sequence;
            pending.Records++;
            if (pending.Kind == PartitionKind.Data && sink._options.Format == SinkFormat.Parquet)
            {
                BinaryPrimitives.WriteInt32LittleEndian(pending.Buffer.GetSpan(4), data.Length);
                pending.Buffer.Advance(4);
                pending.Buffer.Write(data.Span);
            }
            else
            {
                var bytes = data.Span;
                var newline = sink._options.NewlineDelimiter && (bytes.IsEmpty || bytes[^1] != (byte)'\n');
                var span = pending.Buffer.GetSpan(bytes.Length + 1);
                bytes.CopyTo(span);
                if (newline)
                {
                    span[bytes.Length] = (byte)'\n';
                }

                pending.Buffer.Advance(bytes.Length + (newline ? 1 : 0));
            }

            pending.RawBytes += data.Length;
        }

        // Makes room in each partition's buffer for the rest of the batch, which is (scale - 1) times what it has
        // (with a tenth more, as the rest of the batch divides a little differently).
        public void Reserve(double scale)
        {
            foreach (var pending in _pending.Values)
            {
                var more = (long)(pending.Buffer.WrittenCount * ((scale * 1.1) - 1));
                if (more > 0)
                {
                    pending.Buffer.Ensure((int)Math.Min(more, Array.MaxLength / 2));
                }
            }
        }

        public void AddError(string errorType, string errorCode, string message, User user)
        {
            Failed++;
            var prefix = sink._errorPrefix.Render(new PartitionValues(user.Source.Arrival, ErrorOutputType: errorType));
            var pending = Find(PartitionKind.Error, prefix, user);
            pending.LastSequence = user.Source.Sequence;
            pending.Records++;
            sink.WriteErrorLine(
                pending.Buffer,
                state,
                errorCode,
                message,
                user.Data.Span,
                user.Source.Arrival,
                errorType == ProcessingFailed ? sink._options.TransformFunction : null,
                user.Source.Sequence,
                user.Subsequence,
                user.Source.PartitionKey);
            pending.RawBytes += user.Data.Length;
        }

        public Staged Finish(string firstSequence, string lastSequence)
        {
            if (_pending.Count == 0)
            {
                return new Staged(null, null, [], Delivered, Dropped, Failed);
            }

            var uncompressed = _pending.Values.Sum(p => (long)p.Buffer.WrittenCount);
            var estimate = sink._options.Compression.Codec == CompressionCodec.None || sink._options.Format == SinkFormat.Parquet ? uncompressed : (uncompressed / 4) + 65536;
            using var chunk = new MemoryStream(checked((int)Math.Min(estimate + 1024, Array.MaxLength)));
            var writes = new List<PartitionWrite>(_pending.Count);
            foreach (var ((kind, prefix), pending) in _pending)
            {
                var offset = chunk.Position;
                var crc = 0u;
                var parquet = kind == PartitionKind.Data && sink._options.Format == SinkFormat.Parquet;
                if (parquet || sink._options.Compression.Codec == CompressionCodec.None)
                {
                    chunk.Write(pending.Buffer.WrittenSpan);
                }
                else if (sink._options.Compression.Codec == CompressionCodec.Gzip)
                {
                    // Segments of one GZIP member (header and trailer are added at delivery): a single-member .gz for every reader.
                    crc = GzipSegments.Compress(pending.Buffer.WrittenSpan, chunk, sink._options.Compression.EffectiveLevel).Crc;
                }
                else
                {
                    // Zstd frames and snappy streams concatenate by their specifications.
                    using var compressor = CompressionStreams.CreateCompressor(chunk, sink._options.Compression, leaveOpen: true);
                    compressor.Write(pending.Buffer.WrittenSpan);
                }

                writes.Add(new PartitionWrite(kind, prefix, pending.FirstSequence, pending.LastSequence, pending.Records, pending.RawBytes, offset, checked((int)(chunk.Position - offset)), crc, pending.Buffer.WrittenCount));
                pending.Buffer.Dispose();
            }

            var key = $"{sink._options.StagingPrefix}{state.Stream}/{state.Shard}/chunks/{firstSequence}-{lastSequence}";
            // The stream's own buffer, not a copy of it: the chunk is a few hundred kilobytes per batch.
            return new Staged(key, chunk.TryGetBuffer(out var written) ? written : chunk.ToArray(), writes, Delivered, Dropped, Failed);
        }

        // The buffer of a partition, made for the batch's first record to it.
        public Pending Find(PartitionKind kind, string prefix, User user)
        {
            Pending? pending = null;
            foreach (var recent in _recent.Entries)
            {
                if (recent.Kind == kind && ReferenceEquals(recent.Prefix, prefix))
                {
                    pending = recent.Pending;
                    break;
                }
            }

            if (pending is null)
            {
                if (!_pending.TryGetValue((kind, prefix), out pending))
                {
                    pending = new Pending { Kind = kind, FirstSequence = user.Source.Sequence };
                    _pending[(kind, prefix)] = pending;
                }

                _recent.Remember((kind, prefix, pending));
            }

            return pending;
        }
    }

    private sealed class Pending
    {
        // Pooled: a batch fills megabytes per partition, which fresh arrays would zero and copy as they grow.
        public PooledBuffer Buffer { get; } = new(64 * 1024);

        public PartitionKind Kind { get; init; }

        public string FirstSequence { get; set; } = string.Empty;

        public string LastSequence { get; set; } = string.Empty;

        public long Records { get; set; }

        public long RawBytes { get; set; }
    }
}

/// <summary>What <see cref="S3Sink.EncodeAsync(KinesisEvent, CancellationToken)"/> produced.</summary>
/// <param name="Delivered">Records encoded for delivery.</param>
/// <param name="Dropped">Records the transformation dropped.</param>
/// <param name="Failed">Records encoded for the error prefix.</param>
/// <param name="Partitions">Partitions in the chunk.</param>
/// <param name="Chunk">The chunk: each partition's bytes, compressed.</param>
public sealed record SinkEncoding(int Delivered, int Dropped, int Failed, int Partitions, ReadOnlyMemory<byte> Chunk);

/// <summary>A batch could not be made durable (S3 or DynamoDB failed); nothing of it was acknowledged.</summary>
/// <param name="message">Which shard and why.</param>
/// <param name="inner">The cause.</param>
public sealed class SinkBatchFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>A setting cannot work for the records at hand (an error or backup prefix too long for their object keys); the message names it.</summary>
/// <param name="message">Which setting, and why.</param>
public sealed class SinkConfigurationException(string message) : Exception(message);
