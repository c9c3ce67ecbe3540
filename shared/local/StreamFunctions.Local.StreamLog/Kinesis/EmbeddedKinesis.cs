using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>
/// Kinesis Data Streams in-process, on durable shard logs in one folder: the engine of the local
/// default. Functions, the event-source-mapping runner and the lease coordinator use it through
/// <see cref="IKinesisApi"/> exactly as they use Kinesis.
/// </summary>
/// <remarks>
/// <para>Reproduced from Kinesis: shard hash key ranges as CreateStream assigns them and MD5
/// routing (an explicit hash key wins); sequence numbers that increase within a shard and from
/// parent to child; the five iterator types; opaque iterators and ListShards tokens that expire
/// after 5 minutes; ListShards paging and filters; SplitShard, MergeShards and UpdateShardCount
/// (uniform scaling, by splits and merges) with lineage, closed shards ending with a null
/// NextShardIterator and their ChildShards; retention; PutRecords' limits (500 records, 5 MiB, 1 MiB
/// a record, partition keys of 1–256 characters) rejected with the offending entry named.</para>
/// <para>Not modelled: per-shard throughput limits (a local log is never throttled), the CREATING and
/// UPDATING states (changes are immediate), enhanced fan-out, encryption.</para>
/// <para>A PutRecord(s) call returns once its records are committed under the log's
/// <see cref="FsyncPolicy"/>; concurrent calls share commits. The folder is locked for one
/// process; opening it again fails with <see cref="StreamLog.Exceptions.StreamLogLockedException"/>.</para>
/// <para>One type over a file per concern: opening, closing and lookups here; stream administration
/// (<c>EmbeddedKinesis.Streams.cs</c>), writes (<c>.Put.cs</c>), reads (<c>.Read.cs</c>), resharding
/// (<c>.Resharding.cs</c>) and retention (<c>.Retention.cs</c>).</para>
/// </remarks>
public sealed partial class EmbeddedKinesis : IKinesisApi, IDisposable
{
    /// <summary>How long a shard iterator or ListShards token stays valid, as in Kinesis.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(5);

    private readonly EmbeddedKinesisOptions _options;
    private readonly TimeProvider _time;
    private readonly DirectoryLock _lock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, EmbeddedStream> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<int, EmbeddedStream> _byId = [];
    private readonly ITimer _retentionTimer;
    private int _nextStreamId;
    private bool _disposed;

    private EmbeddedKinesis(EmbeddedKinesisOptions options, TimeProvider time, DirectoryLock directoryLock)
    {
        _options = options;
        _time = time;
        _lock = directoryLock;
        _retentionTimer = time.CreateTimer(static state => ((EmbeddedKinesis)state!).OnRetentionTimer(), this, options.RetentionCheckInterval, options.RetentionCheckInterval);
    }

    /// <summary>Whether a folder holds an embedded log (its catalog), without opening or changing it.</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>True when the folder has a log's catalog.</returns>
    public static bool HoldsLog(string directory) => File.Exists(Path.Combine(directory, StreamCatalog.FileName));

    /// <summary>
    /// Opens (or creates) the streams in <see cref="EmbeddedKinesisOptions.Directory"/>: takes its lock,
    /// reads the catalog, recovers each shard log (cutting a torn tail) and rebuilds its index.
    /// </summary>
    /// <param name="options">The folder and policies.</param>
    /// <param name="time">The clock for arrival times, iterator expiry and retention; null for the system clock.</param>
    /// <exception cref="StreamLog.Exceptions.StreamLogLockedException">Another process has the folder open.</exception>
    /// <exception cref="StreamLog.Exceptions.StreamLogCorruptedException">The catalog or a log is damaged beyond a torn tail.</exception>
    public static EmbeddedKinesis Open(EmbeddedKinesisOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var directoryLock = DirectoryLock.Acquire(options.Directory);
        EmbeddedKinesis? kinesis = null;
        try
        {
            kinesis = new EmbeddedKinesis(options, time ?? TimeProvider.System, directoryLock);
            kinesis.Load();
            kinesis.ApplyRetention();
            return kinesis;
        }
        catch
        {
            if (kinesis is not null)
            {
                kinesis.Dispose();
            }
            else
            {
                directoryLock.Dispose();
            }

            throw;
        }
    }

    /// <summary>Commits and closes every shard log and releases the folder.</summary>
    public void Dispose()
    {
        List<EmbeddedStream> streams;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            streams = [.. _byId.Values];
        }

        _retentionTimer.Dispose();
        try
        {
            foreach (var stream in streams)
            {
                lock (stream.Gate)
                {
                    DisposeShards(stream);
                }
            }
        }
        finally
        {
            _lock.Dispose();
        }
    }

    private void Load()
    {
        var (nextStreamId, streams) = StreamCatalog.Read(_options.Directory);
        _nextStreamId = nextStreamId;
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var saved in streams)
        {
            var stream = new EmbeddedStream(saved.Id, saved.Name, saved.CreatedMilliseconds, saved.RetentionMilliseconds, StreamCatalog.StreamDirectory(_options.Directory, saved.Id))
            {
                Counter = saved.Counter,
                NextShardIndex = saved.NextShardIndex,
            };
            known.Add(Path.GetFullPath(stream.Directory));
            _byName.Add(stream.Name, stream);
            _byId.Add(stream.Id, stream);
            foreach (var s in saved.Shards)
            {
                var directory = StreamCatalog.ShardDirectory(stream.Directory, s.Index);
                var shard = new EmbeddedShard(s.Index, s.ParentShardId, s.AdjacentParentShardId, s.HashKeyRange, s.StartingCounter, s.CreatedMilliseconds, directory, AppendLog.Open(directory, _options.Log, _time));
                stream.Shards.Add(shard);
                if (s.EndingCounter is { } end)
                {
                    shard.RestoreClosed(end, s.ClosedMilliseconds ?? s.CreatedMilliseconds);
                }

                shard.Rebuild();
                stream.Counter = Math.Max(stream.Counter, shard.LastCounter);
            }

            stream.Shards.Sort((a, b) => a.Index.CompareTo(b.Index));
            stream.RefreshOpen();
        }

        // Folders of streams whose creation or deletion a crash interrupted.
        var streamsRoot = Path.Combine(_options.Directory, "streams");
        if (Directory.Exists(streamsRoot))
        {
            foreach (var directory in Directory.EnumerateDirectories(streamsRoot))
            {
                if (!known.Contains(Path.GetFullPath(directory)))
                {
                    DeleteDirectory(directory);
                }
            }
        }
    }

    private static void ValidateStreamName(string? streamName)
    {
        if (string.IsNullOrEmpty(streamName) || streamName.Length > 128 || !streamName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            throw new KinesisInvalidArgumentException($"StreamName '{streamName}' must be 1 to 128 characters of a-z, A-Z, 0-9, '_', '.' and '-'.");
        }
    }

    private static EmbeddedShard FindShard(EmbeddedStream stream, string? shardId)
    {
        if (!ShardIds.TryParse(shardId, out var index) || stream.Find(index) is not { } shard)
        {
            throw new KinesisResourceNotFoundException($"Shard {shardId} in stream {stream.Name} under account {KinesisArn.LocalAccountId} does not exist.");
        }

        return shard;
    }

    // A stream by name, or by ARN (StreamARN): an ARN of another account or region names a stream this log does not
    // hold, as Kinesis answers for a stream it cannot find, never a local stream of the same name.
    private EmbeddedStream GetStream(string? streamName)
    {
        var arn = streamName is not null && streamName.StartsWith("arn:", StringComparison.Ordinal) ? ParseArn(streamName) : null;
        var name = arn?.StreamName ?? streamName;
        ValidateStreamName(name);
        if (arn is not null && (arn.AccountId != KinesisArn.LocalAccountId || arn.Region != _options.Region))
        {
            throw new KinesisResourceNotFoundException($"Stream {arn.StreamName} under account {arn.AccountId} not found (region {arn.Region}; this log holds account {KinesisArn.LocalAccountId}'s streams in {_options.Region}).");
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            return _byName.GetValueOrDefault(name!) ?? throw StreamNotFound(name!);
        }
    }

    private static KinesisArn ParseArn(string arn)
    {
        try
        {
            return KinesisArn.Parse(arn);
        }
        catch (FormatException e)
        {
            throw new KinesisInvalidArgumentException(e.Message, e);
        }
    }

    private static void ThrowIfDeleted(EmbeddedStream stream)
    {
        if (stream.IsDeleted)
        {
            throw StreamNotFound(stream.Name);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private static KinesisResourceNotFoundException StreamNotFound(string streamName) =>
        new($"Stream {streamName} under account {KinesisArn.LocalAccountId} not found.");

    private string ArnOf(string streamName) => new KinesisArn("aws", _options.Region, KinesisArn.LocalAccountId, streamName).ToString();

    private long NowMilliseconds() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void WriteCatalogLocked() =>
        StreamCatalog.Write(_options.Directory, _nextStreamId, _byId.Values.OrderBy(s => s.Id).Select(s => s.ToCatalog()));

    private static void DisposeShards(EmbeddedStream stream)
    {
        foreach (var shard in stream.Shards)
        {
            shard.Dispose();
        }
    }

    private static void DeleteDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
