using System.Buffers;
using System.Globalization;
using System.Text;
using Amazon.S3;
using StreamFunctions.KinesisApi;
using StreamFunctions.Lambda.Events.Streams;
using StreamFunctions.Records.Kpl;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Sink.Partitioning;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink;

/// <summary>
/// A Firehose-style sink for Lambda stream triggers. Each batch is de-aggregated, transformed, given
/// its prefix (dynamic partitioning), encoded and compressed per partition, and staged as one chunk
/// object; then the shard's state (<see cref="ISinkStateStore"/>, DynamoDB in AWS) records the chunk and the batch's last
/// sequence number in one conditional write. Only after that write does the call return (the batch is acknowledged), so
/// a crash at any point loses nothing; a redelivered batch is recognised by its sequence numbers and skipped.
/// Partitions are delivered when their size or interval hint is reached: staged bytes become multipart
/// parts of at least 5 MiB as they accumulate, and a delivery first seals the partition (fixing its object
/// key — <c>prefix/stream-shard-firstSeq-lastSeq.ext</c> — and content), then writes the object, then drops
/// the partition from the state. Every step is idempotent, so a crash and a retry rewrite the same object
/// instead of adding a duplicate. Where the bytes go is an <see cref="IPartitionDelivery"/> (S3 objects:
/// <see cref="S3PartitionDelivery"/>).
/// </summary>
/// <remarks>
/// One type in several files: this one holds the entry points; <c>S3Sink.Pipeline.cs</c> and
/// <c>S3Sink.BatchEncoder.cs</c> the record pipeline (de-aggregate, transform, partition, encode);
/// <c>S3Sink.Protocol.cs</c> the buffer/state protocol (stage, commit, parts, seal, deliver, release).
/// </remarks>
public sealed partial class S3Sink
{
    private readonly IPartitionDelivery _delivery;
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

    /// <summary>Creates the sink on a delivery.</summary>
    /// <param name="delivery">Where staged chunks and finished partitions go.</param>
    /// <param name="store">The shard states.</param>
    /// <param name="options">Settings; validated.</param>
    /// <param name="transform">The data transformation, if any (in process, or <see cref="LambdaRecordTransform"/>).</param>
    /// <param name="time">The clock (arrival of partitions, intervals).</param>
    /// <param name="onStage">Called at each <see cref="SinkStage"/> (fault injection in tests, tracing).</param>
    public S3Sink(IPartitionDelivery delivery, ISinkStateStore store, S3SinkOptions options, IRecordTransform? transform = null, TimeProvider? time = null, Action<SinkStage>? onStage = null)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _delivery = delivery;
        _store = store;
        _options = options.Validate();
        _transform = transform;
        _time = time ?? TimeProvider.System;
        _onStage = onStage;
        _prefix = PartitionTemplate.Parse(options.Prefix);
        _errorPrefix = PartitionTemplate.Parse(options.ErrorPrefix, isErrorPrefix: true);
        _backupPrefix = options.BackupPrefix is null ? null : PartitionTemplate.Parse(options.BackupPrefix);
        _query = _prefix.QueryKeys.Count > 0 ? new PartitionKeyQuery(options.PartitionKeyQueries) : null;
        _fixedPrefixes = [(_errorPrefix.RenderWidest(FirehoseErrorRecord.OutputTypes), nameof(S3SinkOptions.ErrorPrefix)), .. _backupPrefix is null ? [] : new[] { (_backupPrefix.RenderWidest(FirehoseErrorRecord.OutputTypes), nameof(S3SinkOptions.BackupPrefix)) }];
    }

    /// <summary>Creates the sink on S3 (<see cref="S3PartitionDelivery"/> to <see cref="S3SinkOptions.Bucket"/>).</summary>
    /// <param name="s3">The S3 client (objects and staging).</param>
    /// <param name="store">The shard states.</param>
    /// <param name="options">Settings; validated.</param>
    /// <param name="transform">The data transformation, if any (in process, or <see cref="LambdaRecordTransform"/>).</param>
    /// <param name="time">The clock (arrival of partitions, intervals).</param>
    /// <param name="onStage">Called at each <see cref="SinkStage"/> (fault injection in tests, tracing).</param>
    public S3Sink(IAmazonS3 s3, ISinkStateStore store, S3SinkOptions options, IRecordTransform? transform = null, TimeProvider? time = null, Action<SinkStage>? onStage = null)
        : this(S3DeliveryOf(s3, store, options), store, options, transform, time, onStage)
    {
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

    // The arguments checked in the order the sink always checked them, before the delivery is made of them.
    private static S3PartitionDelivery S3DeliveryOf(IAmazonS3 s3, ISinkStateStore store, S3SinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        return new S3PartitionDelivery(s3, options.Bucket);
    }

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

    // The pipeline's first step (the rest is in S3Sink.Pipeline.cs): a batch's source records into user records.

    // Into users, through the one batch de-aggregation; deaggregated is the blocks' shared scratch list of where the
    // user records' data are (a list per block would be allocated again and again).
    // decoded and deaggregated are the caller's, reused from block to block (cleared here).
    private static void Deaggregate(List<Source> sources, List<User> users, List<DeaggregatedRecord> decoded, List<Range> deaggregated)
    {
        var data = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(sources.Count);
        decoded.Clear();
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

    // The pipeline's record shapes (S3Sink.Pipeline.cs, S3Sink.BatchEncoder.cs): a source record of the event; a user
    // record (the source record itself, or one of its KPL aggregate's) with why it cannot be read, if so; and what the
    // transformation made of it.

    private sealed record Source(string Sequence, DateTimeOffset Arrival, string? PartitionKey, ReadOnlyMemory<byte> Data, bool MayBeAggregated);

    private readonly record struct User(Source Source, long Subsequence, ReadOnlyMemory<byte> Data, string? Error);

    // What the transformation made of a user record (Ok data is valid until the next block is transformed).
    private readonly record struct Transformed(TransformResult Result, ReadOnlyMemory<byte> Data, IReadOnlyDictionary<string, string>? Keys, string? Error);
}
