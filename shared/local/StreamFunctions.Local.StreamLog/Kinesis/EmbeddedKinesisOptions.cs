using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>Where and how <see cref="EmbeddedKinesis"/> keeps its streams.</summary>
public sealed record EmbeddedKinesisOptions
{
    /// <summary>The folder holding the catalog, the lock file and one log folder per shard; one process at a time.</summary>
    public required string Directory { get; init; }

    /// <summary>Each shard log's layout and fsync policy.</summary>
    /// <value>The default value is 64 MiB segments, fsync on every commit (each PutRecord/PutRecords call).</value>
    public AppendLogOptions Log { get; init; } = new();

    /// <summary>How long records are kept in a new stream; closed shards disappear this long after they closed.</summary>
    /// <value>The default value is 24 hours, Kinesis's default; allowed 1 minute to 8,760 hours (Kinesis's maximum of 365 days).</value>
    public TimeSpan DefaultRetentionPeriod { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often expired segments and closed shards are dropped in the background (records older than the retention period are never returned, whatever this is).</summary>
    /// <value>The default value is 1 minute; allowed 1 second to 1 day.</value>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The region in stream ARNs.</summary>
    /// <value>The default value is us-east-1.</value>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The most shards, open and closed, a stream may have (each is a folder with open files).</summary>
    /// <value>The default value is 500, Kinesis's default shard quota in its larger regions; allowed 1 to 10,000.</value>
    public int MaxShardsPerStream { get; init; } = 500;

    /// <summary>Throws when an option is out of range, naming it and the allowed range.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory, nameof(Directory));
        ArgumentException.ThrowIfNullOrWhiteSpace(Region, nameof(Region));
        ArgumentNullException.ThrowIfNull(Log, nameof(Log));
        Log.Validate();
        if (DefaultRetentionPeriod < TimeSpan.FromMinutes(1) || DefaultRetentionPeriod > TimeSpan.FromHours(8760))
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultRetentionPeriod), DefaultRetentionPeriod, $"{nameof(DefaultRetentionPeriod)} must be from 1 minute to 8,760 hours.");
        }

        if (RetentionCheckInterval < TimeSpan.FromSeconds(1) || RetentionCheckInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RetentionCheckInterval), RetentionCheckInterval, $"{nameof(RetentionCheckInterval)} must be from 1 second to 1 day.");
        }

        if (MaxShardsPerStream is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxShardsPerStream), MaxShardsPerStream, $"{nameof(MaxShardsPerStream)} must be from 1 to 10,000.");
        }
    }
}
