using StreamFunctions.Formats.Compression;
using StreamFunctions.Records;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Sink.Partitioning;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink;

// The pipeline's last step, per record in the hot loop: each partition's records are encoded into a pooled
// buffer, then compressed into the batch's one chunk (Staged).
public sealed partial class S3Sink
{
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
                ParquetRows.Append(pending.Buffer, data.Span);
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
            FirehoseErrorRecord.Write(
                pending.Buffer,
                state.Stream,
                state.Shard,
                sink._time,
                errorCode,
                message,
                user.Data.Span,
                user.Source.Arrival,
                errorType == FirehoseErrorRecord.ProcessingFailed ? sink._options.TransformFunction : null,
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

    // A partition's part of the chunk: its segment, and what the state records about it (Apply).
    private sealed record PartitionWrite(PartitionKind Kind, string Prefix, string FirstSequence, string LastSequence, long Records, long RawBytes, long Offset, int Length, uint Crc, long ContentLength);

    // A batch encoded: its chunk and key (none if no record is to be written), the partitions' segments, and the counts.
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
}
