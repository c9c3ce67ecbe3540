using StreamFunctions.KinesisApi;

namespace StreamFunctions.Local.StreamLog.Log;

/// <summary>How an <see cref="AppendLog"/> lays out and commits its files.</summary>
public sealed record AppendLogOptions
{
    /// <summary>The smallest segment size allowed (tests use small segments to exercise rolling and retention).</summary>
    public const int MinSegmentSize = 4 * 1024;

    /// <summary>Header bytes the log adds to each record.</summary>
    public const int RecordOverhead = RecordFrame.HeaderSize;

    /// <summary>Records go to a new segment file once this many bytes are in the current one.</summary>
    /// <value>The default value is 64 MiB; allowed 4 KiB to 1 GiB. Retention drops whole segments, so smaller segments trim closer to the retention period.</value>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>The largest record payload accepted.</summary>
    /// <value>The default value is 1 MiB + 1 KiB (a Kinesis record of 1 MiB with its partition key and header); allowed 1 byte to 64 MiB.</value>
    public int MaxRecordSize { get; init; } = KinesisLimits.MaxRecordBytes + 1024;

    /// <summary>The size of each of the two in-memory pages that appends fill between commits (one fills while the other is written).</summary>
    /// <value>The default value is 4 MiB; it must hold at least one record of <see cref="MaxRecordSize"/> plus its header, and at most 256 MiB.</value>
    public int PageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>When commits fsync.</summary>
    /// <value>The default value is <see cref="FsyncPolicy.EveryCommit"/>.</value>
    public FsyncPolicy FsyncPolicy { get; init; } = FsyncPolicy.EveryCommit;

    /// <summary>For <see cref="FsyncPolicy.Interval"/>: how often appended records are written and fsynced in the background.</summary>
    /// <value>The default value is 100 ms; allowed 1 ms to 1 hour.</value>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Throws when an option is out of range, naming it and the allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (SegmentSize is < MinSegmentSize or > 1L << 30)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentSize), SegmentSize, $"{nameof(SegmentSize)} must be from {MinSegmentSize} bytes to 1 GiB.");
        }

        if (MaxRecordSize is < 1 or > 64 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecordSize), MaxRecordSize, $"{nameof(MaxRecordSize)} must be from 1 byte to 64 MiB.");
        }

        if (PageSize < MaxRecordSize + RecordOverhead || PageSize > 256 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, $"{nameof(PageSize)} must be from {nameof(MaxRecordSize)} + {RecordOverhead} ({MaxRecordSize + RecordOverhead}) bytes to 256 MiB.");
        }

        if (!Enum.IsDefined(FsyncPolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(FsyncPolicy), FsyncPolicy, $"{nameof(FsyncPolicy)} must be EveryCommit, Interval or None.");
        }

        if (FsyncInterval < TimeSpan.FromMilliseconds(1) || FsyncInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(FsyncInterval), FsyncInterval, $"{nameof(FsyncInterval)} must be from 1 ms to 1 hour.");
        }
    }
}
