using System.Buffers;
using Microsoft.Win32.SafeHandles;
using StreamFunctions.Local.StreamLog.Exceptions;

namespace StreamFunctions.Local.StreamLog.Log;

/// <summary>What <see cref="AppendLog.TryAppend"/> did.</summary>
public enum AppendStatus
{
    /// <summary>The record is in the current page; it is durable once a commit covers its address.</summary>
    Appended,

    /// <summary>The page is full, or the segment must roll first: commit, then try again.</summary>
    CommitNeeded,
}

/// <summary>A segment of the log: its file and the addresses it holds.</summary>
/// <param name="BaseAddress">The address of its first record.</param>
/// <param name="EndAddress">The address after its last committed record.</param>
/// <param name="Path">Its file.</param>
public readonly record struct LogSegmentInfo(long BaseAddress, long EndAddress, string Path);

/// <summary>
/// A durable append-only log in one folder: records framed with CRC-32C in segment files, filled
/// through two in-memory pages and written by group commit, recovered on open, read concurrently.
/// </summary>
/// <remarks>
/// <para>Addresses are byte positions in the log's data (headers excluded), so a record's address
/// never changes and readers seek in O(log segments). Appends copy into the current page under a
/// short lock; <see cref="Commit"/> swaps the pages and writes the full one with one positional
/// write, so concurrent committers share one write and, with <see cref="FsyncPolicy.EveryCommit"/>,
/// one fsync (group commit). Only committed records are visible to readers and a committed record
/// has reached the OS, so killing the process loses nothing acknowledged.</para>
/// <para>On open the last segment is scanned and cut at the first frame that is incomplete, zero or
/// fails its checksum: the torn tail of a write the process did not finish. Earlier segments were
/// written completely before the log rolled past them; a bad frame there is reported by readers as
/// <see cref="StreamLogCorruptedException"/>, never skipped.</para>
/// </remarks>
public sealed class AppendLog : IDisposable
{
    private readonly AppendLogOptions _options;
    private readonly Lock _appendLock = new();
    private readonly Lock _commitLock = new();
    private readonly ITimer? _fsyncTimer;
    private byte[] _page;
    private byte[] _spare;
    private int _pageUsed;
    private long _pageStartAddress;
    private long _tail;
    private long _committed;
    private long _begin;
    private bool _rollPending;
    private bool _dirty;
    private bool _disposed;
    private Exception? _fault;
    private Segment[] _segments;
    private Segment _current;

    private AppendLog(string directory, AppendLogOptions options, Segment[] segments, TimeProvider time)
    {
        Directory = directory;
        _options = options;
        _segments = segments;
        _current = segments[^1];
        _begin = segments[0].BaseAddress;
        _tail = _current.BaseAddress + _current.Length;
        _committed = _tail;
        _pageStartAddress = _tail;
        // Pinned once per log: the pages live as long as the log and are written with positional I/O.
        _page = GC.AllocateUninitializedArray<byte>(options.PageSize, pinned: true);
        _spare = GC.AllocateUninitializedArray<byte>(options.PageSize, pinned: true);
        if (options.FsyncPolicy == FsyncPolicy.Interval)
        {
            _fsyncTimer = time.CreateTimer(static state => ((AppendLog)state!).OnFsyncTimer(), this, options.FsyncInterval, options.FsyncInterval);
        }
    }

    /// <summary>The log's folder.</summary>
    public string Directory { get; }

    /// <summary>The address of the oldest record kept (retention moves it on).</summary>
    public long BeginAddress => Volatile.Read(ref _begin);

    /// <summary>The address after the last committed record: readers see records below it.</summary>
    public long CommittedAddress => Volatile.Read(ref _committed);

    /// <summary>The address the next appended record will get.</summary>
    public long TailAddress
    {
        get
        {
            lock (_appendLock)
            {
                return _tail;
            }
        }
    }

    /// <summary>The options the log was opened with.</summary>
    public AppendLogOptions Options => _options;

    /// <summary>Opens the log in <paramref name="directory"/>, creating it if empty and cutting a torn tail.</summary>
    /// <param name="directory">The folder holding only this log's segments.</param>
    /// <param name="options">Layout and commit policy; null for the defaults.</param>
    /// <param name="time">The clock of the <see cref="FsyncPolicy.Interval"/> timer; null for the system clock.</param>
    /// <exception cref="StreamLogCorruptedException">A segment before the last is damaged or missing.</exception>
    public static AppendLog Open(string directory, AppendLogOptions? options = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= new AppendLogOptions();
        options.Validate();
        System.IO.Directory.CreateDirectory(directory);
        var segments = Recover(directory, options);
        return new AppendLog(directory, options, segments, time ?? TimeProvider.System);
    }

    /// <summary>
    /// Copies a record into the current page. Returns <see cref="AppendStatus.CommitNeeded"/> (and
    /// no address) when the page is full or the segment must roll: the caller commits and retries,
    /// as <see cref="Append"/> does.
    /// </summary>
    /// <param name="payload">1 to <see cref="AppendLogOptions.MaxRecordSize"/> bytes.</param>
    /// <param name="address">The record's address, when appended.</param>
    public AppendStatus TryAppend(ReadOnlySpan<byte> payload, out long address)
    {
        if (payload.IsEmpty || payload.Length > _options.MaxRecordSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), payload.Length, $"A record must hold 1 to {_options.MaxRecordSize} bytes.");
        }

        var frameLength = RecordFrame.FrameLength(payload.Length);
        lock (_appendLock)
        {
            ThrowIfUnusable();
            address = -1;
            if (_rollPending)
            {
                return AppendStatus.CommitNeeded;
            }

            if (_current.Length > 0 && _current.Length + frameLength > _options.SegmentSize)
            {
                _rollPending = true;
                return AppendStatus.CommitNeeded;
            }

            if (_pageUsed + frameLength > _page.Length)
            {
                return AppendStatus.CommitNeeded;
            }

            RecordFrame.Encode(payload, _page.AsSpan(_pageUsed, frameLength));
            address = _tail;
            _tail += frameLength;
            _pageUsed += frameLength;
            _current.Length += frameLength;
            return AppendStatus.Appended;
        }
    }

    /// <summary>Appends a record, committing first whenever <see cref="TryAppend"/> asks to.</summary>
    /// <returns>The record's address; it is durable once a commit covers it.</returns>
    public long Append(ReadOnlySpan<byte> payload)
    {
        long address;
        while (TryAppend(payload, out address) != AppendStatus.Appended)
        {
            Commit();
        }

        return address;
    }

    /// <summary>
    /// Writes every record appended so far to the OS (and fsyncs under <see cref="FsyncPolicy.EveryCommit"/>),
    /// then makes them visible to readers. Concurrent callers share one write and one fsync.
    /// </summary>
    public void Commit()
    {
        long target;
        lock (_appendLock)
        {
            ThrowIfUnusable();
            target = _tail;
            if (!_rollPending && Volatile.Read(ref _committed) >= target)
            {
                return;
            }
        }

        lock (_commitLock)
        {
            // Another committer may have written our records while we waited: that is the group commit.
            if (Volatile.Read(ref _committed) >= target && !Volatile.Read(ref _rollPending))
            {
                return;
            }

            CommitLocked(sync: _options.FsyncPolicy == FsyncPolicy.EveryCommit);
        }
    }

    /// <summary>Commits, then fsyncs whatever any policy left unsynced.</summary>
    public void Flush()
    {
        lock (_commitLock)
        {
            lock (_appendLock)
            {
                ThrowIfUnusable();
            }

            CommitLocked(sync: true);
        }
    }

    /// <summary>Opens a reader at <paramref name="address"/> (a record's address, <see cref="BeginAddress"/> or <see cref="CommittedAddress"/>).</summary>
    public LogReader CreateReader(long address)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        return new LogReader(this, address);
    }

    /// <summary>The segments, oldest first, with their committed extents.</summary>
    public IReadOnlyList<LogSegmentInfo> GetSegments()
    {
        var segments = Volatile.Read(ref _segments);
        var committed = CommittedAddress;
        var result = new LogSegmentInfo[segments.Length];
        for (var i = 0; i < segments.Length; i++)
        {
            var end = i + 1 < segments.Length ? segments[i + 1].BaseAddress : committed;
            result[i] = new LogSegmentInfo(segments[i].BaseAddress, end, segments[i].Path);
        }

        return result;
    }

    /// <summary>
    /// Drops the whole segments that end at or before <paramref name="address"/> (never the current one),
    /// moving <see cref="BeginAddress"/> on. Readers still inside a dropped segment finish it, since
    /// their open handles keep the file's data until they move on.
    /// </summary>
    /// <returns>How many segments were dropped.</returns>
    public int TruncateBefore(long address)
    {
        Segment[] dropped;
        lock (_appendLock)
        {
            ThrowIfUnusable();
            var segments = _segments;
            var count = 0;
            while (count < segments.Length - 1 && segments[count + 1].BaseAddress <= address)
            {
                count++;
            }

            if (count == 0)
            {
                return 0;
            }

            dropped = segments[..count];
            _segments = segments[count..];
            Volatile.Write(ref _begin, _segments[0].BaseAddress);
        }

        foreach (var segment in dropped)
        {
            File.Delete(segment.Path);
        }

        return dropped.Length;
    }

    /// <summary>Commits and fsyncs what was appended, then closes the files.</summary>
    public void Dispose()
    {
        lock (_commitLock)
        {
            lock (_appendLock)
            {
                if (_disposed)
                {
                    return;
                }
            }

            try
            {
                if (_fault is null)
                {
                    CommitLocked(sync: true);
                }
            }
            finally
            {
                lock (_appendLock)
                {
                    _disposed = true;
                }

                _fsyncTimer?.Dispose();
                _current.WriteHandle?.Dispose();
                _current.WriteHandle = null;
            }
        }
    }

    /// <summary>The base address of the segment holding <paramref name="address"/>.</summary>
    internal long SegmentBaseOf(long address)
    {
        var segments = SegmentsSnapshot;
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            if (segments[i].BaseAddress <= address)
            {
                return segments[i].BaseAddress;
            }
        }

        return segments[0].BaseAddress;
    }

    /// <summary>The segments as readers see them (copy on write).</summary>
    internal Segment[] SegmentsSnapshot => Volatile.Read(ref _segments);

    private void CommitLocked(bool sync)
    {
        byte[] batch;
        int length;
        long start;
        long end;
        bool roll;
        Segment segment;
        lock (_appendLock)
        {
            batch = _page;
            length = _pageUsed;
            start = _pageStartAddress;
            end = _tail;
            roll = _rollPending;
            segment = _current;
            if (length > 0)
            {
                (_page, _spare) = (_spare, _page);
                _pageUsed = 0;
                _pageStartAddress = _tail;
            }
        }

        try
        {
            if (length > 0)
            {
                RandomAccess.Write(segment.WriteHandle!, batch.AsSpan(0, length), SegmentFile.HeaderSize + (start - segment.BaseAddress));
                _dirty = true;
            }

            if (sync && _dirty)
            {
                RandomAccess.FlushToDisk(segment.WriteHandle!);
                _dirty = false;
            }

            if (length > 0)
            {
                Volatile.Write(ref _committed, end);
            }

            if (roll)
            {
                Roll();
            }
        }
        catch (IOException e)
        {
            // The page is gone from memory but maybe not from disk: nothing later may be acknowledged.
            _fault = e;
            throw;
        }
    }

    private void Roll()
    {
        var old = _current;
        if (_dirty && _options.FsyncPolicy != FsyncPolicy.None)
        {
            RandomAccess.FlushToDisk(old.WriteHandle!);
            _dirty = false;
        }

        var next = CreateSegment(Directory, _tail, _options);
        lock (_appendLock)
        {
            _segments = [.. _segments, next];
            _current = next;
            _pageStartAddress = _tail;
            _rollPending = false;
        }

        _dirty = false;
        old.WriteHandle?.Dispose();
        old.WriteHandle = null;
    }

    private void OnFsyncTimer()
    {
        lock (_commitLock)
        {
            if (Volatile.Read(ref _disposed) || _fault is not null)
            {
                return;
            }

            try
            {
                CommitLocked(sync: true);
            }
            catch (IOException)
            {
                // Kept in _fault by CommitLocked and raised by the next append or commit.
            }
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is { } fault)
        {
            throw new IOException($"The stream log in {Directory} failed to write and accepts no more records: {fault.Message}", fault);
        }
    }

    private static Segment[] Recover(string directory, AppendLogOptions options)
    {
        var found = new List<(long Base, string Path)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + SegmentFile.Extension))
        {
            if (SegmentFile.TryParseFileName(Path.GetFileName(path), out var baseAddress))
            {
                found.Add((baseAddress, path));
            }
        }

        found.Sort((a, b) => a.Base.CompareTo(b.Base));
        var segments = new List<Segment>(found.Count);
        Span<byte> header = stackalloc byte[SegmentFile.HeaderSize];
        for (var i = 0; i < found.Count; i++)
        {
            var (baseAddress, path) = found[i];
            var isLast = i == found.Count - 1;
            using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                var fileLength = RandomAccess.GetLength(handle);
                var read = RandomAccess.Read(handle, header, 0);
                if (read < SegmentFile.HeaderSize || !SegmentFile.TryReadHeader(header, out var headerBase) || headerBase != baseAddress)
                {
                    if (!isLast)
                    {
                        throw new StreamLogCorruptedException(path, baseAddress, "the segment header is missing or does not match the file name.");
                    }

                    // The newest segment's header never reached the disk: it holds no committed record.
                    handle.Dispose();
                    File.Delete(path);
                    break;
                }

                var length = isLast ? ValidLength(handle, fileLength, options) : fileLength - SegmentFile.HeaderSize;
                if (segments.Count > 0 && segments[^1].BaseAddress + segments[^1].Length != baseAddress)
                {
                    throw new StreamLogCorruptedException(path, baseAddress, $"the previous segment ends at address {segments[^1].BaseAddress + segments[^1].Length}, so a segment is missing or truncated.");
                }

                segments.Add(new Segment(baseAddress, path) { Length = length });
            }
        }

        if (segments.Count == 0)
        {
            var baseAddress = found.Count > 0 ? found[^1].Base : 0;
            segments.Add(CreateSegment(directory, baseAddress, options));
            return [.. segments];
        }

        var last = segments[^1];
        var writeHandle = File.OpenHandle(last.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var fileEnd = SegmentFile.HeaderSize + last.Length;
        if (RandomAccess.GetLength(writeHandle) != fileEnd)
        {
            // Cut the torn tail, durably, before anything new is written after it.
            RandomAccess.SetLength(writeHandle, fileEnd);
            RandomAccess.FlushToDisk(writeHandle);
        }

        last.WriteHandle = writeHandle;
        return [.. segments];
    }

    /// <summary>The length of the valid frames at the start of a segment's data.</summary>
    private static long ValidLength(SafeFileHandle handle, long fileLength, AppendLogOptions options)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1 << 20, options.MaxRecordSize + RecordFrame.HeaderSize));
        try
        {
            long valid = 0;
            var dataLength = fileLength - SegmentFile.HeaderSize;
            while (valid < dataLength)
            {
                var count = (int)Math.Min(buffer.Length, dataLength - valid);
                var filled = ReadFully(handle, buffer.AsSpan(0, count), SegmentFile.HeaderSize + valid);
                var span = buffer.AsSpan(0, filled);
                var offset = 0;
                while (true)
                {
                    var status = RecordFrame.TryDecode(span[offset..], options.MaxRecordSize, out _, out var frameLength);
                    if (status == FrameStatus.Valid)
                    {
                        offset += frameLength;
                        continue;
                    }

                    if (status == FrameStatus.Incomplete && offset > 0 && valid + filled < dataLength)
                    {
                        break; // the frame runs past this buffer: read on from its start
                    }

                    return valid + offset; // torn, zero-filled or corrupt: the tail ends here
                }

                valid += offset;
            }

            return valid;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static int ReadFully(SafeFileHandle handle, Span<byte> destination, long fileOffset)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(handle, destination[total..], fileOffset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static Segment CreateSegment(string directory, long baseAddress, AppendLogOptions options)
    {
        var path = Path.Combine(directory, SegmentFile.FileName(baseAddress));
        var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            Span<byte> header = stackalloc byte[SegmentFile.HeaderSize];
            SegmentFile.WriteHeader(header, baseAddress);
            RandomAccess.Write(handle, header, 0);
            if (options.FsyncPolicy != FsyncPolicy.None)
            {
                RandomAccess.FlushToDisk(handle);
            }

            return new Segment(baseAddress, path) { WriteHandle = handle };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    internal sealed class Segment(long baseAddress, string path)
    {
        public long BaseAddress { get; } = baseAddress;

        public string Path { get; } = path;

        /// <summary>Data bytes reserved by appends (written or in a page); only the writer reads it.</summary>
        public long Length { get; set; }

        public SafeFileHandle? WriteHandle { get; set; }
    }
}
