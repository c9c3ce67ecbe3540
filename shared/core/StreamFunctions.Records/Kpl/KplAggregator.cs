using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using StreamFunctions.Hashing.Internal;
using StreamFunctions.KinesisApi;
using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl.Internal;

namespace StreamFunctions.Records.Kpl;

/// <summary>
/// Packs user records into KPL aggregated Kinesis records, each as full as
/// <see cref="KplAggregatorOptions.MaxAggregateSize"/> allows (1 MiB by default, counted as Kinesis counts:
/// data plus partition key). Byte for byte the aggregates are what AWS's reference libraries write: the key
/// tables in first-use order, then the records, then the MD5.
/// </summary>
/// <remarks>
/// <para>As the KPL does, an aggregate of one user record is sent as that record alone (not aggregated),
/// and a user record too large to aggregate but within Kinesis's limit goes alone the same way; AWS's
/// Node.js library rejects the latter instead. A user record whose partition key and data exceed 1 MiB is
/// rejected, as Kinesis would reject it.</para>
/// <para>The Kinesis record takes the first user record's partition key and explicit hash key, so it lands
/// on that record's shard. To keep every user record on the shard its own key maps to (and so keep the
/// order per key), aggregate per shard, as the KPL does.</para>
/// <para>Not thread-safe. Records are copied in as they are added, so the caller's buffers may be reused at once.</para>
/// </remarks>
public sealed class KplAggregator : IDisposable
{
    // Throws on lone surrogates instead of silently replacing them, which would change the key.
    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly int _maxSize;
    private readonly int _maxCount;
    // The user records of the open aggregate; their data is copied into _owned (TryAdd) or, inside
    // AddRange, referenced where the caller has it until the aggregate is built, so it is copied once.
    private Entry[] _entries = ArrayPool<Entry>.Shared.Rent(1024);
    private readonly PooledBuffer _owned = new(64 * 1024);
    private int _recordsSize;
    private readonly PooledBuffer _partitionKeys = new(4 * 1024);
    private readonly PooledBuffer _hashKeys = new(256);
    private readonly Dictionary<string, int> _partitionKeyIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _hashKeyIndex = new(StringComparer.Ordinal);
    private int _count;
    private long _added;
    private string? _firstPartitionKey;
    private int _firstPartitionKeyBytes;
    private string? _firstHashKey;
    private int _firstDataLength;
    private bool _firstHasMagic;

    /// <summary>Creates an aggregator.</summary>
    /// <param name="options">The limits; the defaults fill Kinesis records up to 1 MiB.</param>
    /// <exception cref="StorageOptionsException">An option is out of range.</exception>
    public KplAggregator(KplAggregatorOptions? options = null)
    {
        options = (options ?? new KplAggregatorOptions()).Validate();
        _maxSize = options.MaxAggregateSize;
        _maxCount = options.MaxUserRecordsPerAggregate;
    }

    /// <summary>How many user records wait in the current aggregate.</summary>
    public int Count => _count;

    /// <summary>The size, as Kinesis counts it, of the Kinesis record <see cref="Build"/> would make now; 0 when empty.</summary>
    public int SizeBytes => _count switch
    {
        0 => 0,
        1 when !_firstHasMagic => _firstPartitionKeyBytes + _firstDataLength,
        _ => _firstPartitionKeyBytes + KplFormat.Overhead + ProtobufSize,
    };

    private int ProtobufSize => _partitionKeys.WrittenCount + _hashKeys.WrittenCount + _recordsSize;

    /// <summary>
    /// Adds a user record to the current aggregate; false, leaving everything as it was, when it does not
    /// fit (call <see cref="Build"/>, then add it again). An empty aggregator takes any valid record.
    /// </summary>
    /// <param name="record">The user record; its bytes are copied.</param>
    /// <exception cref="InvalidUserRecordException">The partition key is empty or longer than 256 characters,
    /// the explicit hash key is not a decimal 128-bit integer, or partition key plus data exceed 1 MiB.</exception>
    public bool TryAdd(in UserRecord record) => TryAdd(record, copy: true);

    private bool TryAdd(in UserRecord record, bool copy)
    {
        var index = _added;
        var partitionKey = CheckPartitionKey(record.PartitionKey, index, out var partitionKeyBytes);
        var data = record.Data.Span;
        if ((long)partitionKeyBytes + data.Length > KplFormat.MaxKinesisRecordSize)
        {
            throw new InvalidUserRecordException(
                $"User record {index} is too large: its partition key ({partitionKeyBytes} bytes) and data ({data.Length} bytes) exceed {KplFormat.MaxKinesisRecordSize} bytes, the most a Kinesis record may hold.",
                index);
        }

        var hashKey = CheckHashKey(record.ExplicitHashKey, index);
        if (_count >= _maxCount)
        {
            return false;
        }

        // Look the keys up once, adding them optimistically; a record that does not fit takes them out again.
        ref var partitionSlot = ref CollectionsMarshal.GetValueRefOrAddDefault(_partitionKeyIndex, partitionKey, out var partitionKnown);
        int partitionIndex, partitionEntry = 0;
        if (partitionKnown)
        {
            partitionIndex = partitionSlot;
        }
        else
        {
            partitionIndex = partitionSlot = _partitionKeyIndex.Count - 1;
            partitionEntry = 1 + ProtoWire.VarintSize((uint)partitionKeyBytes) + partitionKeyBytes;
        }

        int hashIndex = 0, hashEntry = 0, hashKeyBytes = 0;
        var hashKnown = true;
        if (hashKey is not null)
        {
            ref var hashSlot = ref CollectionsMarshal.GetValueRefOrAddDefault(_hashKeyIndex, hashKey, out hashKnown);
            if (hashKnown)
            {
                hashIndex = hashSlot;
            }
            else
            {
                hashIndex = hashSlot = _hashKeyIndex.Count - 1;
                hashKeyBytes = hashKey.Length; // decimal digits: one byte each
                hashEntry = 1 + ProtoWire.VarintSize((uint)hashKeyBytes) + hashKeyBytes;
            }
        }

        var inner = 1 + ProtoWire.VarintSize((uint)partitionIndex)
            + (hashKey is null ? 0 : 1 + ProtoWire.VarintSize((uint)hashIndex))
            + 1 + ProtoWire.VarintSize((uint)data.Length) + data.Length;
        var recordSize = 1 + ProtoWire.VarintSize((uint)inner) + inner;
        var outerKeyBytes = _count == 0 ? partitionKeyBytes : _firstPartitionKeyBytes;
        var aggregated = (long)outerKeyBytes + KplFormat.Overhead + ProtobufSize + partitionEntry + hashEntry + recordSize;
        if (aggregated > _maxSize)
        {
            var alone = _count == 0;
            if (!alone || KplFormat.HasMagic(data))
            {
                if (!partitionKnown)
                {
                    _partitionKeyIndex.Remove(partitionKey);
                }

                if (!hashKnown)
                {
                    _hashKeyIndex.Remove(hashKey!);
                }

                if (alone)
                {
                    throw new InvalidUserRecordException(
                        $"User record {index} ({data.Length} bytes) is too large to aggregate and starts with the KPL magic number, so sent alone it would be read as a corrupt aggregate.",
                        index);
                }

                return false;
            }

            // Too large to aggregate but within Kinesis's limit: it goes alone, as is (the KPL's rule).
        }

        if (!partitionKnown)
        {
            var span = _partitionKeys.GetSpan(partitionEntry);
            var p = 0;
            span[p++] = ProtoWire.TagPartitionKeyTable;
            ProtoWire.WriteVarint(span, ref p, (uint)partitionKeyBytes);
            p += Encoding.UTF8.GetBytes(partitionKey, span[p..]);
            _partitionKeys.Advance(p);
        }

        if (!hashKnown)
        {
            var span = _hashKeys.GetSpan(hashEntry);
            var p = 0;
            span[p++] = ProtoWire.TagExplicitHashKeyTable;
            ProtoWire.WriteVarint(span, ref p, (uint)hashKeyBytes);
            p += Encoding.ASCII.GetBytes(hashKey!, span[p..]);
            _hashKeys.Advance(p);
        }

        if (_count == _entries.Length)
        {
            var grown = ArrayPool<Entry>.Shared.Rent(_count * 2);
            _entries.AsSpan(0, _count).CopyTo(grown);
            ArrayPool<Entry>.Shared.Return(_entries, clearArray: true);
            _entries = grown;
        }

        _entries[_count] = copy
            ? new Entry(partitionIndex, hashKey is null ? -1 : hashIndex, Own(data), data.Length, default)
            : new Entry(partitionIndex, hashKey is null ? -1 : hashIndex, -1, data.Length, record.Data);
        _recordsSize += recordSize;
        if (_count == 0)
        {
            _firstPartitionKey = partitionKey;
            _firstPartitionKeyBytes = partitionKeyBytes;
            _firstHashKey = hashKey;
            _firstDataLength = data.Length;
            _firstHasMagic = KplFormat.HasMagic(data);
        }

        _count++;
        _added++;
        return true;
    }

    /// <summary>
    /// Adds user records in order. Each aggregate that fills up is built and appended to
    /// <paramref name="completed"/>; with <paramref name="flush"/> the last one too, else it stays open.
    /// The MD5 checksums of the aggregates built here are computed together, several at a time.
    /// </summary>
    /// <param name="records">The user records.</param>
    /// <param name="completed">Receives the Kinesis records; the caller disposes them once put.</param>
    /// <param name="flush">Also build the last, partly filled aggregate.</param>
    /// <returns>How many Kinesis records were appended.</returns>
    /// <exception cref="InvalidUserRecordException">A record is invalid; the records before it are aggregated (in <paramref name="completed"/> or still open).</exception>
    public int AddRange(ReadOnlySpan<UserRecord> records, List<KinesisAggregate> completed, bool flush = true)
    {
        ArgumentNullException.ThrowIfNull(completed);
        var start = completed.Count;
        var unsigned = start;
        var group = Md5MultiBuffer.Lanes;
        try
        {
            foreach (ref readonly var record in records)
            {
                if (!TryAdd(record, copy: false))
                {
                    completed.Add(BuildCore(sign: false));
                    if (!TryAdd(record, copy: false))
                    {
                        throw new InvalidOperationException("An empty aggregator refused a valid record.");
                    }

                    // Sign a full group of lanes while the aggregates are still in cache.
                    if (completed.Count - unsigned >= group)
                    {
                        Sign(CollectionsMarshal.AsSpan(completed)[unsigned..]);
                        unsigned = completed.Count;
                    }
                }
            }

            if (flush && _count > 0)
            {
                completed.Add(BuildCore(sign: false));
            }
        }
        finally
        {
            Sign(CollectionsMarshal.AsSpan(completed)[unsigned..]);

            // The caller's records may change once this returns: the open aggregate takes copies.
            OwnAll();
        }

        return completed.Count - start;
    }

    /// <summary>Builds the Kinesis record of the user records added so far and starts a new aggregate.</summary>
    /// <exception cref="InvalidOperationException">No user record was added.</exception>
    public KinesisAggregate Build() => BuildCore(sign: true);

    /// <summary>Forgets the user records added since the last <see cref="Build"/>.</summary>
    public void Clear() => Reset();

    /// <inheritdoc />
    public void Dispose()
    {
        _owned.Dispose();
        ArrayPool<Entry>.Shared.Return(_entries, clearArray: true);
        _entries = [];
        _partitionKeys.Dispose();
        _hashKeys.Dispose();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "The KPL format defines the checksum as MD5; it detects corruption, it is not security.")]
    private KinesisAggregate BuildCore(bool sign)
    {
        if (_count == 0)
        {
            throw new InvalidOperationException("There is nothing to build: no user record was added since the last build.");
        }

        KinesisAggregate result;
        if (_count == 1 && !_firstHasMagic)
        {
            var raw = ArrayPool<byte>.Shared.Rent(Math.Max(_firstDataLength, 1));
            DataOf(_entries[0]).CopyTo(raw);
            result = new KinesisAggregate(raw, _firstDataLength, _firstPartitionKey!, _firstHashKey, 1, isAggregated: false);
        }
        else
        {
            var protobuf = ProtobufSize;
            var length = protobuf + KplFormat.Overhead;
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            var span = buffer.AsSpan(0, length);
            KplFormat.Magic.CopyTo(span);
            var p = 4;
            _partitionKeys.WrittenSpan.CopyTo(span[p..]);
            p += _partitionKeys.WrittenCount;
            _hashKeys.WrittenSpan.CopyTo(span[p..]);
            p += _hashKeys.WrittenCount;
            WriteRecords(span[p..^KplFormat.ChecksumSize]);
            if (sign)
            {
                MD5.HashData(span[4..^KplFormat.ChecksumSize], span[^KplFormat.ChecksumSize..]);
            }

            result = new KinesisAggregate(buffer, length, _firstPartitionKey!, _firstHashKey, _count, isAggregated: true);
        }

        Reset();
        return result;
    }

    /// <summary>Computes the MD5 checksums of unsigned aggregates together.</summary>
    private static void Sign(ReadOnlySpan<KinesisAggregate> aggregates)
    {
        var count = 0;
        foreach (var aggregate in aggregates)
        {
            count += aggregate.IsAggregated ? 1 : 0;
        }

        if (count == 0)
        {
            return;
        }

        var inputs = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(count);
        var digests = ArrayPool<byte>.Shared.Rent(count * KplFormat.ChecksumSize);
        try
        {
            var n = 0;
            foreach (var aggregate in aggregates)
            {
                if (aggregate.IsAggregated)
                {
                    inputs[n++] = aggregate.Data[4..^KplFormat.ChecksumSize];
                }
            }

            Md5MultiBuffer.HashMany(inputs.AsSpan(0, count), digests.AsSpan(0, count * KplFormat.ChecksumSize));
            n = 0;
            foreach (var aggregate in aggregates)
            {
                if (aggregate.IsAggregated)
                {
                    digests.AsSpan(n++ * KplFormat.ChecksumSize, KplFormat.ChecksumSize).CopyTo(aggregate.Writable[^KplFormat.ChecksumSize..]);
                }
            }
        }
        finally
        {
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(inputs, clearArray: true);
            ArrayPool<byte>.Shared.Return(digests);
        }
    }

    private void WriteRecords(Span<byte> span)
    {
        var p = 0;
        foreach (ref readonly var entry in _entries.AsSpan(0, _count))
        {
            var inner = 1 + ProtoWire.VarintSize((uint)entry.PartitionIndex)
                + (entry.HashIndex < 0 ? 0 : 1 + ProtoWire.VarintSize((uint)entry.HashIndex))
                + 1 + ProtoWire.VarintSize((uint)entry.Length) + entry.Length;
            span[p++] = ProtoWire.TagRecords;
            ProtoWire.WriteVarint(span, ref p, (uint)inner);
            span[p++] = ProtoWire.TagPartitionKeyIndex;
            ProtoWire.WriteVarint(span, ref p, (uint)entry.PartitionIndex);
            if (entry.HashIndex >= 0)
            {
                span[p++] = ProtoWire.TagExplicitHashKeyIndex;
                ProtoWire.WriteVarint(span, ref p, (uint)entry.HashIndex);
            }

            span[p++] = ProtoWire.TagData;
            ProtoWire.WriteVarint(span, ref p, (uint)entry.Length);
            DataOf(entry).CopyTo(span[p..]);
            p += entry.Length;
        }

        if (p != span.Length)
        {
            throw new InvalidOperationException($"The aggregate's records took {p} bytes where {span.Length} were counted.");
        }
    }

    private ReadOnlySpan<byte> DataOf(in Entry entry) =>
        entry.OwnedOffset < 0 ? entry.External.Span : _owned.WrittenSpan.Slice(entry.OwnedOffset, entry.Length);

    private int Own(ReadOnlySpan<byte> data)
    {
        var offset = _owned.WrittenCount;
        _owned.Write(data);
        return offset;
    }

    /// <summary>Copies the data the open aggregate still references from the caller.</summary>
    private void OwnAll()
    {
        foreach (ref var entry in _entries.AsSpan(0, _count))
        {
            if (entry.OwnedOffset < 0)
            {
                entry = new Entry(entry.PartitionIndex, entry.HashIndex, Own(entry.External.Span), entry.Length, default);
            }
        }
    }

    /// <summary>A user record of the open aggregate: its key indexes and where its data is.</summary>
    private readonly record struct Entry(int PartitionIndex, int HashIndex, int OwnedOffset, int Length, ReadOnlyMemory<byte> External);

    private void Reset()
    {
        _entries.AsSpan(0, _count).Clear();
        _owned.Clear();
        _recordsSize = 0;
        _partitionKeys.Clear();
        _hashKeys.Clear();
        _partitionKeyIndex.Clear();
        _hashKeyIndex.Clear();
        _count = 0;
        _firstPartitionKey = null;
        _firstHashKey = null;
        _firstPartitionKeyBytes = 0;
        _firstDataLength = 0;
        _firstHasMagic = false;
    }

    internal static string CheckPartitionKey(RecordKey key, long index, out int utf8Bytes)
    {
        if (key.IsEmpty)
        {
            throw new InvalidUserRecordException($"User record {index} has an empty partition key: Kinesis requires 1–{KplFormat.MaxPartitionKeyLength} characters.", index);
        }

        var text = key.AsString()!;
        if (text.Length > KplFormat.MaxPartitionKeyLength)
        {
            throw new InvalidUserRecordException($"User record {index} has a partition key of {text.Length} characters: Kinesis allows at most {KplFormat.MaxPartitionKeyLength}.", index);
        }

        try
        {
            utf8Bytes = _strictUtf8.GetByteCount(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new InvalidUserRecordException($"User record {index} has a partition key that is not valid Unicode (a lone surrogate at character {e.Index}).", index);
        }

        return text;
    }

    private static string? CheckHashKey(RecordKey key, long index)
    {
        if (!key.HasValue)
        {
            return null;
        }

        var text = key.AsString()!;
        return HashKeys.TryParse(text, out _)
            ? text
            : throw new InvalidUserRecordException($"User record {index} has explicit hash key '{text}', which is not {HashKeys.Rule}.", index);
    }
}
