using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Exceptions;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Sink.Partitioning;

namespace StreamFunctions.Sink;

// The buffer/state protocol: a batch's chunk is staged, then the state records it (the batch is durable); staged
// bytes become multipart parts as they accumulate; a due partition is sealed (its key and content fixed), its object
// written, and only then dropped from the state. Each step is recorded in the state (ISinkStateStore) before the next,
// and each delivery step (IPartitionDelivery) is idempotent, so a crash anywhere is repaired by doing the step again.
public sealed partial class S3Sink
{
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
        if (_store.SizeOf(state) > _options.StateFlushBytes)
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

    // A Parquet data partition is one file written at delivery; every other partition is assembled from parts.
    private bool UsesParts(PartitionBuffer partition) => !(partition.Kind == PartitionKind.Data && _options.Format == SinkFormat.Parquet);

    private async Task UploadPartAsync(SinkShardState state, PartitionBuffer partition, Staged? staged, CancellationToken cancellationToken)
    {
        if (partition.UploadId is null)
        {
            partition.UploadKey = $"{_options.StagingPrefix}{state.Stream}/{state.Shard}/uploads/{PartitionId(partition)}-{partition.FirstSequence}";
            partition.UploadId = await _delivery.StartUploadAsync(partition.UploadKey, cancellationToken).ConfigureAwait(false);
            await _store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
        }

        var number = partition.Parts.Count + 1;
        var data = Frame(partition, await ReadSegmentsAsync(state, partition.Segments, staged, cancellationToken).ConfigureAwait(false), first: number == 1, last: false);
        _onStage?.Invoke(SinkStage.BeforePartUpload);
        var etag = await _delivery.UploadPartAsync(partition.UploadKey!, partition.UploadId, number, data, cancellationToken).ConfigureAwait(false);
        _onStage?.Invoke(SinkStage.AfterPartUpload);
        partition.Parts.Add(new UploadedPart(number, etag, data.Length));
        partition.Segments.Clear();
        var released = ReleaseChunks(state);
        await _store.CommitAsync(state, cancellationToken).ConfigureAwait(false);
        _onStage?.Invoke(SinkStage.AfterPartCommit);
        await _delivery.DeleteStagedAsync(released, cancellationToken).ConfigureAwait(false);
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
        await _delivery.DeleteStagedAsync([.. released, .. sealedPartitions.Where(p => p.UploadKey is not null).Select(p => p.UploadKey!)], cancellationToken).ConfigureAwait(false);
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
                file = await ParquetRows.ToFileAsync(framed, _options.Parquet, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectWriterException e)
            {
                // Records that cannot share one file's columns (a field's type changed): the partition goes to the
                // error prefix as Firehose's format-conversion-failed, under a key as deterministic as the object's.
                await _delivery.PutObjectAsync(FormatErrorKey(state, partition), FormatErrorLines(state, partition, framed, e.Message), cancellationToken).ConfigureAwait(false);
                return;
            }

            await _delivery.PutObjectAsync(key, file, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (partition.UploadId is null)
        {
            await _delivery.PutObjectAsync(key, Frame(partition, await ReadSegmentsAsync(state, partition.Segments, staged, cancellationToken).ConfigureAwait(false), first: true, last: true), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!await _delivery.ExistsAsync(partition.UploadKey!, cancellationToken).ConfigureAwait(false))
        {
            var parts = new List<UploadedPart>(partition.Parts);
            if (partition.Segments.Count > 0 || IsGzip(partition))
            {
                var data = Frame(partition, await ReadSegmentsAsync(state, partition.Segments, staged, cancellationToken).ConfigureAwait(false), first: parts.Count == 0, last: true);
                _onStage?.Invoke(SinkStage.BeforePartUpload);
                parts.Add(new UploadedPart(parts.Count + 1, await _delivery.UploadPartAsync(partition.UploadKey!, partition.UploadId, parts.Count + 1, data, cancellationToken).ConfigureAwait(false), data.Length));
                _onStage?.Invoke(SinkStage.AfterPartUpload);
            }

            _onStage?.Invoke(SinkStage.BeforeComplete);
            await _delivery.CompleteUploadAsync(partition.UploadKey!, partition.UploadId, parts, cancellationToken).ConfigureAwait(false);
            _onStage?.Invoke(SinkStage.AfterComplete);
        }

        await _delivery.CopyAsync(partition.UploadKey!, key, cancellationToken).ConfigureAwait(false);
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
                await _delivery.ReadStagedAsync(state.Chunks[segment.Chunk], segment.Offset, data.AsMemory(at, segment.Length), cancellationToken).ConfigureAwait(false);
            }

            at += segment.Length;
        }

        return data;
    }

    private string FormatErrorKey(SinkShardState state, PartitionBuffer partition) =>
        _errorPrefix.Render(new PartitionValues(DateTimeOffset.FromUnixTimeMilliseconds(partition.OpenedAtMs), ErrorOutputType: FirehoseErrorRecord.FormatConversionFailed))
        + $"{state.Stream}-{state.Shard}-{partition.FirstSequence}-{partition.LastSequence}.jsonl";

    private byte[] FormatErrorLines(SinkShardState state, PartitionBuffer partition, byte[] framed, string message)
    {
        var lines = new ArrayBufferWriter<byte>(framed.Length * 2);
        foreach (var record in ParquetRows.Records(framed))
        {
            FirehoseErrorRecord.Write(lines, state.Stream, state.Shard, _time, "DataFormatConversion.InvalidSchema", $"The partition's records do not convert to one Parquet file: {message}", record.Span, partition: partition.Prefix);
        }

        return lines.WrittenSpan.ToArray();
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
            await _delivery.StageAsync(staged.ChunkKey!, chunk, cancellationToken).ConfigureAwait(false);
            _onStage?.Invoke(SinkStage.AfterChunkPut);
        }

        return staged;
    }

    // Records a staged batch in the state: its last sequence number, its chunk, and each partition's segment of it.
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
}
