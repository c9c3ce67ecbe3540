using System.Buffers;
using System.Security.Cryptography;
using StreamFunctions.Hashing.Internal;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Records.Exceptions;
using StreamFunctions.Records.Kpl.Internal;

namespace StreamFunctions.Records.Kpl;

/// <summary>
/// De-aggregates Kinesis records into user records, as KCL and AWS's aggregation libraries do: a record
/// that starts with the KPL magic number is checked (MD5) and decoded into its user records, with their
/// index as sub-sequence number; any other record passes through as one user record. The user records
/// are views into the Kinesis record's data (no copy, no allocation per user record).
/// </summary>
/// <remarks>
/// A record that carries the magic number but is corrupt (bad MD5, malformed protobuf, a key index
/// outside its table, too short) raises <see cref="KplFormatException"/>; none of its user records is
/// added. Unknown protobuf fields are skipped and tags are checked but not returned, as in the reference.
/// </remarks>
public static class KplDeaggregator
{
    /// <summary>Whether <paramref name="data"/> is a KPL aggregate (starts with the magic number).</summary>
    public static bool IsAggregated(ReadOnlySpan<byte> data) => KplFormat.HasMagic(data);

    /// <summary>De-aggregates one Kinesis record, appending its user records to <paramref name="destination"/>.</summary>
    /// <param name="record">The Kinesis record.</param>
    /// <param name="destination">Where the user records go; on error it is left as it was.</param>
    /// <returns>How many user records were appended.</returns>
    /// <exception cref="KplFormatException">The record claims to be an aggregate but is corrupt.</exception>
    public static int Deaggregate(KinesisRecord record, List<UserRecord> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Deaggregate(record.Data, record.PartitionKey, destination);
    }

    /// <summary>De-aggregates the data of one Kinesis record, appending its user records to <paramref name="destination"/>.</summary>
    /// <param name="data">The Kinesis record's data.</param>
    /// <param name="partitionKey">The Kinesis record's partition key: the user record's key when the record is not an aggregate.</param>
    /// <param name="destination">Where the user records go; on error it is left as it was.</param>
    /// <param name="explicitHashKey">The Kinesis record's explicit hash key, when known (GetRecords does not return it).</param>
    /// <returns>How many user records were appended.</returns>
    /// <exception cref="KplFormatException">The record claims to be an aggregate but is corrupt.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "The KPL format defines the checksum as MD5; it detects corruption, it is not security.")]
    public static int Deaggregate(ReadOnlyMemory<byte> data, RecordKey partitionKey, List<UserRecord> destination, RecordKey explicitHashKey = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!KplFormat.HasMagic(data.Span))
        {
            destination.Add(new UserRecord(partitionKey, data, explicitHashKey, 0, isAggregated: false));
            return 1;
        }

        CheckLength(data.Length);
        Span<byte> digest = stackalloc byte[KplFormat.ChecksumSize];
        MD5.HashData(data.Span[4..^KplFormat.ChecksumSize], digest);
        var output = new UserRecords(destination, null); // an aggregate: every user record has its own key
        return DecodeVerified(data, digest, ref output);
    }

    /// <summary>
    /// De-aggregates a batch of Kinesis records (a GetRecords page, a Lambda event) in order, appending
    /// their user records to <paramref name="destination"/>. The MD5 checksums of the batch's aggregates
    /// are computed together, several at a time on the CPU's vector units, which is several times faster
    /// than one after the other.
    /// </summary>
    /// <param name="records">The Kinesis records, in order.</param>
    /// <param name="destination">Where the user records go. On error it holds exactly the user records of the Kinesis records before the failed one.</param>
    /// <returns>How many user records were appended.</returns>
    /// <exception cref="KplFormatException">A record claims to be an aggregate but is corrupt; <see cref="KplFormatException.RecordIndex"/> and <see cref="KplFormatException.SequenceNumber"/> name it.</exception>
    public static int Deaggregate(IReadOnlyList<KinesisRecord> records, List<UserRecord> destination)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(destination);
        var inputs = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(Math.Max(records.Count, 1));
        try
        {
            for (var i = 0; i < records.Count; i++)
            {
                inputs[i] = records[i].Data;
            }

            return Deaggregate(inputs.AsSpan(0, records.Count), i => records[i].PartitionKey, destination, i => records[i].SequenceNumber);
        }
        finally
        {
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(inputs, clearArray: true);
        }
    }

    /// <summary>
    /// De-aggregates a batch of records' data in order (checksums computed together, as in the batch form
    /// above), isolating failures: a corrupt aggregate appends nothing, its error is put in
    /// <paramref name="errors"/> at its index, and the records after it are still de-aggregated.
    /// </summary>
    /// <param name="records">The records' data, in order.</param>
    /// <param name="partitionKeyOf">The partition key of record <c>i</c> (the user record's key when it is not an aggregate).</param>
    /// <param name="destination">Where the user records go, record after record.</param>
    /// <param name="counts">Receives how many user records record <c>i</c> appended (at least <paramref name="records"/>' length).</param>
    /// <param name="errors">Receives the error of record <c>i</c>, or null (at least <paramref name="records"/>' length).</param>
    /// <returns>How many user records were appended.</returns>
    public static int DeaggregateEach(ReadOnlySpan<ReadOnlyMemory<byte>> records, Func<int, RecordKey> partitionKeyOf, List<UserRecord> destination, Span<int> counts, Span<KplFormatException?> errors)
    {
        ArgumentNullException.ThrowIfNull(partitionKeyOf);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfLessThan(counts.Length, records.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(errors.Length, records.Length);
        var output = new UserRecords(destination, partitionKeyOf);
        return Deaggregate(records, ref output, null, counts, errors);
    }

    /// <summary>
    /// The same, for callers that need only where each user record's data is (not its keys): the user records of
    /// record <c>i</c> are <c>records[i][ranges[k]]</c>, in order, for the next <c>counts[i]</c> ranges; their index
    /// among them is their sub-sequence number. A record that is not an aggregate is one range, all of it.
    /// </summary>
    /// <param name="records">The records' data, in order.</param>
    /// <param name="ranges">Where the user records' data go, record after record.</param>
    /// <param name="counts">Receives how many user records record <c>i</c> has (at least <paramref name="records"/>' length).</param>
    /// <param name="errors">Receives the error of record <c>i</c>, or null (at least <paramref name="records"/>' length).</param>
    /// <returns>How many ranges were appended.</returns>
    public static int DeaggregateEach(ReadOnlySpan<ReadOnlyMemory<byte>> records, List<Range> ranges, Span<int> counts, Span<KplFormatException?> errors)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentOutOfRangeException.ThrowIfLessThan(counts.Length, records.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(errors.Length, records.Length);
        var output = new DataRanges(ranges);
        return Deaggregate(records, ref output, null, counts, errors);
    }

    /// <summary>The batch form over raw data: <paramref name="partitionKeyOf"/> gives the partition key of record <c>i</c> (used when it is not an aggregate).</summary>
    internal static int Deaggregate(
        ReadOnlySpan<ReadOnlyMemory<byte>> records,
        Func<int, RecordKey> partitionKeyOf,
        List<UserRecord> destination,
        Func<int, string?>? sequenceNumberOf = null)
    {
        var output = new UserRecords(destination, partitionKeyOf);
        return Deaggregate(records, ref output, sequenceNumberOf, [], []);
    }

    private static int Deaggregate<TOutput>(
        ReadOnlySpan<ReadOnlyMemory<byte>> records,
        ref TOutput destination,
        Func<int, string?>? sequenceNumberOf,
        Span<int> counts,
        Span<KplFormatException?> errors)
        where TOutput : struct, IDecoded
    {
        var isolate = errors.Length > 0;
        var checksumInputs = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(Math.Max(records.Length, 1));
        var digests = ArrayPool<byte>.Shared.Rent(Math.Max(records.Length, 1) * KplFormat.ChecksumSize);
        try
        {
            // First the checksums of every well-sized aggregate of the batch, together.
            var count = 0;
            for (var i = 0; i < records.Length; i++)
            {
                var data = records[i];
                if (KplFormat.HasMagic(data.Span) && data.Length >= KplFormat.Overhead)
                {
                    checksumInputs[count++] = data[4..^KplFormat.ChecksumSize];
                }
            }

            Md5MultiBuffer.HashMany(checksumInputs.AsSpan(0, count), digests.AsSpan(0, count * KplFormat.ChecksumSize));

            // Then each record in order, so that an error leaves the records before it complete.
            var appended = 0;
            var next = 0;
            for (var i = 0; i < records.Length; i++)
            {
                var data = records[i];
                var before = destination.Count;
                try
                {
                    if (!KplFormat.HasMagic(data.Span))
                    {
                        destination.AddWhole(data, i);
                    }
                    else
                    {
                        CheckLength(data.Length);
                        var digest = data.Length >= KplFormat.Overhead ? next++ : -1;
                        DecodeVerified(data, digests.AsSpan(digest * KplFormat.ChecksumSize, KplFormat.ChecksumSize), ref destination);
                    }
                }
                catch (KplFormatException e) when (isolate)
                {
                    destination.Truncate(before);
                    errors[i] = new KplFormatException(e, i, sequenceNumberOf?.Invoke(i));
                }
                catch (KplFormatException e)
                {
                    throw new KplFormatException(e, i, sequenceNumberOf?.Invoke(i));
                }

                appended += destination.Count - before;
                if (isolate)
                {
                    counts[i] = destination.Count - before;
                }
            }

            return appended;
        }
        finally
        {
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(checksumInputs, clearArray: true);
            ArrayPool<byte>.Shared.Return(digests);
        }
    }

    private static void CheckLength(int length)
    {
        if (length < KplFormat.Overhead)
        {
            throw new KplFormatException(
                KplFormatError.Truncated,
                $"The record starts with the KPL magic number but has {length} bytes, fewer than the {KplFormat.Overhead} of the magic number and MD5 checksum alone.");
        }
    }

    /// <summary>Checks the stored checksum against <paramref name="digest"/>, then decodes.</summary>
    private static int DecodeVerified<TOutput>(ReadOnlyMemory<byte> data, ReadOnlySpan<byte> digest, ref TOutput destination)
        where TOutput : struct, IDecoded
    {
        var span = data.Span;
        var stored = span[^KplFormat.ChecksumSize..];
        if (!stored.SequenceEqual(digest))
        {
            throw new KplFormatException(
                KplFormatError.ChecksumMismatch,
                $"The MD5 checksum of the aggregate's {span.Length - KplFormat.Overhead} protobuf bytes is {Convert.ToHexStringLower(digest)} but the record says {Convert.ToHexStringLower(stored)}: the record is corrupt or truncated.");
        }

        return Decode(data[4..^KplFormat.ChecksumSize], ref destination, protobufOffset: 4);
    }

    /// <summary>Decodes a checked <c>AggregatedRecord</c> message.</summary>
    private static int Decode<TOutput>(ReadOnlyMemory<byte> message, ref TOutput destination, int protobufOffset)
        where TOutput : struct, IDecoded
    {
        var span = message.Span;

        // Pass 1: where the key tables' entries and the records are. Protobuf lets the repeated fields
        // come in any order, so the records are resolved only once the tables are known.
        var keyTable = ArrayPool<long>.Shared.Rent(64);
        var recordTable = ArrayPool<long>.Shared.Rent(256);
        int pkCount = 0, ehkCount = 0, recordCount = 0;
        var start = destination.Count;
        try
        {
            var p = 0;
            while (p < span.Length)
            {
                var fieldStart = p;
                if (!ProtoWire.TryReadVarint(span, ref p, out var tag))
                {
                    throw Malformed($"a field tag runs past the end at byte {protobufOffset + fieldStart}", null);
                }

                var field = tag >> 3;
                var wireType = (int)(tag & 7);
                if (field is >= 1 and <= 3)
                {
                    if (wireType != ProtoWire.WireLengthDelimited)
                    {
                        throw Malformed($"field {field} at byte {protobufOffset + fieldStart} has wire type {wireType}, not length-delimited", null);
                    }

                    if (!ProtoWire.TryReadLength(span, ref p, out var length))
                    {
                        throw Malformed($"field {field} at byte {protobufOffset + fieldStart} is longer than the bytes left", null);
                    }

                    var entry = ((long)p << 32) | (uint)length;
                    if (field == 3)
                    {
                        Append(ref recordTable, recordCount++, entry);
                    }
                    else
                    {
                        // Partition keys fill the table from the front, explicit hash keys from the back
                        // of a second array; both are rarely more than a few.
                        if (field == 1)
                        {
                            Append(ref keyTable, 2 * pkCount++, entry);
                        }
                        else
                        {
                            Append(ref keyTable, (2 * ehkCount++) + 1, entry);
                        }
                    }

                    p += length;
                }
                else if (field == 0 || !ProtoWire.TrySkipField(span, ref p, wireType))
                {
                    throw Malformed($"the field at byte {protobufOffset + fieldStart} (number {field}, wire type {wireType}) is invalid or runs past the end", null);
                }
            }

            // Pass 2: each record, in order.
            destination.EnsureRoom(recordCount);
            for (var i = 0; i < recordCount; i++)
            {
                var entry = recordTable[i];
                var offset = (int)(entry >> 32);
                var length = (int)entry;
                var record = DecodeRecord(span.Slice(offset, length), offset, i, pkCount, ehkCount, protobufOffset);
                destination.Add(message, protobufOffset, offset + record.DataOffset, record.DataLength, keyTable[2 * record.PartitionKeyIndex], record.ExplicitHashKeyIndex < 0 ? -1 : keyTable[(2 * record.ExplicitHashKeyIndex) + 1], i);
            }

            return recordCount;
        }
        catch (KplFormatException)
        {
            destination.Truncate(start);
            throw;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keyTable);
            ArrayPool<long>.Shared.Return(recordTable);
        }
    }

    // One user record: its bytes (span, from offset in the message) give where its data is and its key indexes (checked).
    private static Parsed DecodeRecord(ReadOnlySpan<byte> span, int offset, int index, int pkCount, int ehkCount, int protobufOffset)
    {
        ulong pkIndex = 0, ehkIndex = 0;
        bool hasPk = false, hasEhk = false, hasData = false;
        int dataOffset = 0, dataLength = 0;
        var p = 0;
        while (p < span.Length)
        {
            var fieldStart = p;
            if (!ProtoWire.TryReadVarint(span, ref p, out var tag))
            {
                throw Malformed($"user record {index}: a field tag runs past the end at byte {protobufOffset + offset + fieldStart}", index);
            }

            switch (tag)
            {
                case ProtoWire.TagPartitionKeyIndex:
                    if (!ProtoWire.TryReadVarint(span, ref p, out pkIndex))
                    {
                        throw Malformed($"user record {index}: partition_key_index runs past the end", index);
                    }

                    hasPk = true;
                    break;
                case ProtoWire.TagExplicitHashKeyIndex:
                    if (!ProtoWire.TryReadVarint(span, ref p, out ehkIndex))
                    {
                        throw Malformed($"user record {index}: explicit_hash_key_index runs past the end", index);
                    }

                    hasEhk = true;
                    break;
                case ProtoWire.TagData:
                    if (!ProtoWire.TryReadLength(span, ref p, out dataLength))
                    {
                        throw Malformed($"user record {index}: data is longer than the record", index);
                    }

                    hasData = true;
                    dataOffset = p;
                    p += dataLength;
                    break;
                case ProtoWire.TagTags:
                    if (!ProtoWire.TryReadLength(span, ref p, out var tagLength))
                    {
                        throw Malformed($"user record {index}: a tag is longer than the record", index);
                    }

                    CheckTag(span.Slice(p, tagLength), index);
                    p += tagLength;
                    break;
                default:
                    var field = tag >> 3;
                    if (field is 0 or 1 or 2 or 3 or 4 || !ProtoWire.TrySkipField(span, ref p, (int)(tag & 7)))
                    {
                        throw Malformed($"user record {index}: the field at byte {protobufOffset + offset + fieldStart} (number {field}, wire type {tag & 7}) is invalid or runs past the end", index);
                    }

                    break;
            }
        }

        if (!hasPk || !hasData)
        {
            throw Malformed($"user record {index} lacks its required {(hasPk ? "data" : "partition_key_index")} field", index);
        }

        if (pkIndex >= (ulong)pkCount)
        {
            throw new KplFormatException(KplFormatError.IndexOutOfRange, $"User record {index} has partition_key_index {pkIndex} but the partition key table has {pkCount} entries.", index);
        }

        if (hasEhk && ehkIndex >= (ulong)ehkCount)
        {
            throw new KplFormatException(KplFormatError.IndexOutOfRange, $"User record {index} has explicit_hash_key_index {ehkIndex} but the explicit hash key table has {ehkCount} entries.", index);
        }

        return new Parsed(dataOffset, dataLength, (int)pkIndex, hasEhk ? (int)ehkIndex : -1);
    }

    private static RecordKey KeyAt(ReadOnlyMemory<byte> message, long entry) =>
        RecordKey.FromUtf8(message.Slice((int)(entry >> 32), (int)entry));

    // A user record as parsed: where its data is in its record's bytes, and its key indexes (-1: none), all ints,
    // returned in registers.
    private readonly record struct Parsed(int DataOffset, int DataLength, int PartitionKeyIndex, int ExplicitHashKeyIndex);

    // Where decoded user records go: user records with their keys, or only their data's ranges.
    private interface IDecoded
    {
        int Count { get; }

        void EnsureRoom(int more);

        // A record that is not an aggregate: one user record, all of it.
        void AddWhole(ReadOnlyMemory<byte> data, int recordIndex);

        // A user record of an aggregate: its data at dataOffset in the message, its keys' table entries (offset << 32 | length; -1: none).
        void Add(ReadOnlyMemory<byte> message, int protobufOffset, int dataOffset, int dataLength, long partitionKey, long explicitHashKey, int index);

        void Truncate(int count);
    }

    private readonly struct UserRecords(List<UserRecord> list, Func<int, RecordKey>? partitionKeyOf) : IDecoded
    {
        public int Count => list.Count;

        public void EnsureRoom(int more)
        {
            if (list.Capacity - list.Count < more)
            {
                list.Capacity = Math.Max(list.Count + more, list.Capacity * 2);
            }
        }

        public void AddWhole(ReadOnlyMemory<byte> data, int recordIndex) =>
            list.Add(new UserRecord(partitionKeyOf is null ? default : partitionKeyOf(recordIndex), data, default, 0, isAggregated: false));

        public void Add(ReadOnlyMemory<byte> message, int protobufOffset, int dataOffset, int dataLength, long partitionKey, long explicitHashKey, int index) =>
            list.Add(new UserRecord(KeyAt(message, partitionKey), message.Slice(dataOffset, dataLength), explicitHashKey < 0 ? default : KeyAt(message, explicitHashKey), index, isAggregated: true));

        public void Truncate(int count) => list.RemoveRange(count, list.Count - count);
    }

    // Ranges of the record's data (the message starts protobufOffset bytes into it).
    private readonly struct DataRanges(List<Range> list) : IDecoded
    {
        public int Count => list.Count;

        public void EnsureRoom(int more) => list.EnsureCapacity(list.Count + more);

        public void AddWhole(ReadOnlyMemory<byte> data, int recordIndex) => list.Add(new Range(0, data.Length));

        public void Add(ReadOnlyMemory<byte> message, int protobufOffset, int dataOffset, int dataLength, long partitionKey, long explicitHashKey, int index) =>
            list.Add(new Range(protobufOffset + dataOffset, protobufOffset + dataOffset + dataLength));

        public void Truncate(int count) => list.RemoveRange(count, list.Count - count);
    }

    private static void CheckTag(ReadOnlySpan<byte> tag, int index)
    {
        var hasKey = false;
        var p = 0;
        while (p < tag.Length)
        {
            if (!ProtoWire.TryReadVarint(tag, ref p, out var t) || (t >> 3) == 0 || !ProtoWire.TrySkipField(tag, ref p, (int)(t & 7)))
            {
                throw Malformed($"user record {index}: a tag is malformed", index);
            }

            hasKey |= t == ProtoWire.TagTagKey;
        }

        if (!hasKey)
        {
            throw Malformed($"user record {index}: a tag lacks its required key", index);
        }
    }

    private static void Append(ref long[] table, int index, long entry)
    {
        if (index >= table.Length)
        {
            var grown = ArrayPool<long>.Shared.Rent(Math.Max(table.Length * 2, index + 1));
            table.AsSpan().CopyTo(grown);
            ArrayPool<long>.Shared.Return(table);
            table = grown;
        }

        table[index] = entry;
    }

    private static KplFormatException Malformed(string detail, long? subSequenceNumber) =>
        new(KplFormatError.MalformedProtobuf, $"The aggregate's protobuf message is malformed: {detail}.", subSequenceNumber);
}
