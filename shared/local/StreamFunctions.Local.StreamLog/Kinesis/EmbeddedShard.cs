using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>
/// One shard of an embedded stream: its lineage and life span, its log, and a sparse index
/// (one entry per 64 KiB of log and per segment) from sequence counter and arrival time to address, which turns
/// AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER and AT_TIMESTAMP into a binary search and a short scan.
/// </summary>
internal sealed class EmbeddedShard : IDisposable
{
    // One entry per 64 KiB: 24 bytes of index per 64 KiB of data, and a seek scans at most 64 KiB.
    private const long IndexInterval = 64 * 1024;

    private readonly List<IndexEntry> _index = [];
    private readonly Lock _indexLock = new();

    public EmbeddedShard(int index, string? parentShardId, string? adjacentParentShardId, HashKeyRange range, ulong startingCounter, long createdMilliseconds, string directory, AppendLog log)
    {
        Index = index;
        ShardId = ShardIds.Format(index);
        ParentShardId = parentShardId;
        AdjacentParentShardId = adjacentParentShardId;
        HashKeyRange = range;
        StartingCounter = startingCounter;
        CreatedMilliseconds = createdMilliseconds;
        Directory = directory;
        Log = log;
    }

    public int Index { get; }

    public string ShardId { get; }

    public string? ParentShardId { get; }

    public string? AdjacentParentShardId { get; }

    public HashKeyRange HashKeyRange { get; }

    public ulong StartingCounter { get; }

    public long CreatedMilliseconds { get; }

    public string Directory { get; }

    public AppendLog Log { get; }

    /// <summary>The counter of its EndingSequenceNumber once closed.</summary>
    public ulong? EndingCounter { get; private set; }

    public long? ClosedMilliseconds { get; private set; }

    public bool IsOpen => EndingCounter is null;

    /// <summary>The newest record's counter (or the starting counter when empty).</summary>
    public ulong LastCounter { get; private set; }

    /// <summary>The newest record's arrival; arrivals never go back within a shard, so AT_TIMESTAMP can search.</summary>
    public long LastArrivalMilliseconds { get; private set; } = long.MinValue;

    public Shard ToShard() => new(
        ShardId,
        ParentShardId,
        AdjacentParentShardId,
        HashKeyRange,
        new SequenceNumberRange(
            EmbeddedSequenceNumber.Format(StartingCounter, Index),
            EndingCounter is { } end ? EmbeddedSequenceNumber.Format(end, Index) : null));

    public void Close(ulong endingCounter, long closedMilliseconds)
    {
        Log.Commit();
        EndingCounter = endingCounter;
        ClosedMilliseconds = closedMilliseconds;
    }

    /// <summary>Restores the closed state read from the catalog.</summary>
    public void RestoreClosed(ulong endingCounter, long closedMilliseconds)
    {
        EndingCounter = endingCounter;
        ClosedMilliseconds = closedMilliseconds;
    }

    /// <summary>Rebuilds the index and the newest counter and arrival from the log (on open).</summary>
    public void Rebuild()
    {
        LastCounter = StartingCounter;
        using var reader = Log.CreateReader(Log.BeginAddress);
        while (reader.TryRead(out var payload, out var address) == ReadStatus.Record)
        {
            if (!StoredRecord.TryDecode(payload, out var record))
            {
                throw new Exceptions.StreamLogCorruptedException(Directory, address, "the record is not a stored Kinesis record.");
            }

            OnAppended(address, record.Counter, record.ArrivalMilliseconds);
        }
    }

    /// <summary>The arrival time a record appended now gets: never before the previous one.</summary>
    public long NextArrival(long nowMilliseconds) => Math.Max(nowMilliseconds, LastArrivalMilliseconds);

    /// <summary>Notes an appended record (the caller holds the stream's write lock).</summary>
    public void OnAppended(long address, ulong counter, long arrivalMilliseconds)
    {
        LastCounter = counter;
        LastArrivalMilliseconds = arrivalMilliseconds;
        lock (_indexLock)
        {
            // Also the first record of each segment, so retention knows when a whole segment is old.
            if (_index.Count == 0 || address - _index[^1].Address >= IndexInterval || Log.SegmentBaseOf(address) > _index[^1].Address)
            {
                _index.Add(new IndexEntry(address, counter, arrivalMilliseconds));
            }
        }
    }

    /// <summary>The address of the first record whose counter is at least <paramref name="counter"/>, or the committed end.</summary>
    public long SeekCounter(ulong counter) =>
        Seek(entry => entry.Counter < counter, (recordCounter, _) => recordCounter >= counter);

    /// <summary>The address of the first record that arrived at or after <paramref name="milliseconds"/>, or the committed end.</summary>
    public long SeekArrival(long milliseconds) =>
        Seek(entry => entry.ArrivalMilliseconds < milliseconds, (_, arrival) => arrival >= milliseconds);

    /// <summary>
    /// Drops the segments whose every record arrived before <paramref name="horizonMilliseconds"/>:
    /// a segment is droppable when a later record (the first indexed one after it) is older than the horizon.
    /// </summary>
    public int DropSegmentsBefore(long horizonMilliseconds)
    {
        long dropBefore = -1;
        var segments = Log.GetSegments();
        lock (_indexLock)
        {
            for (var i = 0; i < segments.Count - 1; i++)
            {
                var end = segments[i].EndAddress;
                var later = FirstIndexAtOrAfter(end);
                var newestArrivalBound = later >= 0 ? _index[later].ArrivalMilliseconds : LastArrivalMilliseconds;
                if (newestArrivalBound >= horizonMilliseconds)
                {
                    break;
                }

                dropBefore = end;
            }
        }

        if (dropBefore < 0)
        {
            return 0;
        }

        var dropped = Log.TruncateBefore(dropBefore);
        lock (_indexLock)
        {
            var keepFrom = FirstIndexAtOrAfter(Log.BeginAddress);
            _index.RemoveRange(0, keepFrom < 0 ? _index.Count : keepFrom);
        }

        return dropped;
    }

    public void Dispose() => Log.Dispose();

    /// <summary>Scans from the last indexed record before the target to the first record that matches.</summary>
    private long Seek(Func<IndexEntry, bool> before, Func<ulong, long, bool> match)
    {
        long start;
        lock (_indexLock)
        {
            var found = LastIndex(before);
            start = found >= 0 ? Math.Max(Log.BeginAddress, _index[found].Address) : Log.BeginAddress;
        }

        using var reader = Log.CreateReader(start);
        while (true)
        {
            var status = reader.TryRead(out var payload, out var address);
            if (status == ReadStatus.Truncated)
            {
                reader.Seek(Log.BeginAddress);
                continue;
            }

            if (status == ReadStatus.EndOfLog)
            {
                return reader.NextAddress;
            }

            if (!StoredRecord.TryDecode(payload, out var record))
            {
                throw new Exceptions.StreamLogCorruptedException(Directory, address, "the record is not a stored Kinesis record.");
            }

            if (match(record.Counter, record.ArrivalMilliseconds))
            {
                return address;
            }
        }
    }

    private int LastIndex(Func<IndexEntry, bool> before)
    {
        int low = 0, high = _index.Count - 1, found = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (before(_index[mid]))
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found;
    }

    private int FirstIndexAtOrAfter(long address)
    {
        var last = LastIndex(e => e.Address < address);
        return last + 1 < _index.Count ? last + 1 : -1;
    }

    private readonly record struct IndexEntry(long Address, ulong Counter, long ArrivalMilliseconds);
}
