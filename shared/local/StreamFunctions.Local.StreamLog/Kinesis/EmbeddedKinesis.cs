using System.Buffers;
using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
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
/// </remarks>
public sealed class EmbeddedKinesis : IKinesisApi, IDisposable
{
    /// <summary>How long a shard iterator or ListShards token stays valid, as in Kinesis.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(5);

    /// <summary>PutRecords' entry limit.</summary>
    public const int MaxRecordsPerRequest = 500;

    /// <summary>PutRecords' size limit (data and partition keys).</summary>
    public const int MaxRequestBytes = 5 * 1024 * 1024;

    /// <summary>A record's size limit (data and partition key).</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    /// <summary>GetRecords' size limit per call.</summary>
    public const int MaxGetRecordsBytes = 10 * 1024 * 1024;

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

    /// <inheritdoc />
    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        ValidateStreamName(request.StreamName);
        if (request.ShardCount < 1 || request.ShardCount > _options.MaxShardsPerStream)
        {
            throw new KinesisInvalidArgumentException($"ShardCount {request.ShardCount} for stream {request.StreamName} must be from 1 to {_options.MaxShardsPerStream}.");
        }

        lock (_gate)
        {
            ThrowIfDisposed();
            if (_byName.ContainsKey(request.StreamName))
            {
                throw new KinesisResourceInUseException($"Stream {request.StreamName} under account {KinesisArn.LocalAccountId} already exists.");
            }

            var id = _nextStreamId++;
            var now = NowMilliseconds();
            var stream = new EmbeddedStream(id, request.StreamName, now, (long)_options.DefaultRetentionPeriod.TotalMilliseconds, StreamCatalog.StreamDirectory(_options.Directory, id));
            try
            {
                foreach (var range in HashKeys.EvenSplit(request.ShardCount))
                {
                    AddShard(stream, null, null, range, now);
                }

                _byName.Add(stream.Name, stream);
                _byId.Add(stream.Id, stream);
                WriteCatalogLocked();
            }
            catch
            {
                _byName.Remove(stream.Name);
                _byId.Remove(stream.Id);
                DisposeShards(stream);
                throw;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        lock (stream.Gate)
        {
            lock (_gate)
            {
                if (stream.IsDeleted)
                {
                    throw StreamNotFound(request.StreamName);
                }

                stream.IsDeleted = true;
                _byName.Remove(stream.Name);
                _byId.Remove(stream.Id);
                WriteCatalogLocked();
            }

            DisposeShards(stream);
        }

        DeleteDirectory(stream.Directory);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<StreamDescriptionSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(streamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            return Task.FromResult(new StreamDescriptionSummary(
                stream.Name,
                ArnOf(stream.Name),
                StreamStatus.Active,
                (int)Math.Ceiling(TimeSpan.FromMilliseconds(stream.RetentionMilliseconds).TotalHours),
                DateTimeOffset.FromUnixTimeMilliseconds(stream.CreatedMilliseconds),
                stream.OpenShards.Count));
        }
    }

    /// <summary>Sets how long a stream keeps records (Kinesis's Increase/DecreaseStreamRetentionPeriod, without their 24-hour floor).</summary>
    /// <param name="streamName">The stream.</param>
    /// <param name="retentionPeriod">1 minute to 8,760 hours.</param>
    public void SetRetentionPeriod(string streamName, TimeSpan retentionPeriod)
    {
        if (retentionPeriod < TimeSpan.FromMinutes(1) || retentionPeriod > TimeSpan.FromHours(8760))
        {
            throw new KinesisInvalidArgumentException($"Retention period {retentionPeriod} for stream {streamName} must be from 1 minute to 8,760 hours.");
        }

        var stream = GetStream(streamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            lock (_gate)
            {
                stream.RetentionMilliseconds = (long)retentionPeriod.TotalMilliseconds;
                WriteCatalogLocked();
            }
        }
    }

    /// <inheritdoc />
    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var now = NowMilliseconds();
        ListShardsToken query;
        EmbeddedStream stream;
        if (request.NextToken is not null)
        {
            if (request.StreamName is not null || request.ExclusiveStartShardId is not null || request.ShardFilter is not null)
            {
                throw new KinesisInvalidArgumentException("ListShards takes NextToken alone: StreamName, ExclusiveStartShardId and ShardFilter belong to the first page only.");
            }

            if (!OpaqueToken.TryDecodeListShards(request.NextToken, out query))
            {
                throw new KinesisInvalidArgumentException($"NextToken '{request.NextToken}' is not a ListShards token of this stream log.");
            }

            if (now - query.IssuedMilliseconds > (long)TokenLifetime.TotalMilliseconds)
            {
                throw new KinesisExpiredNextTokenException($"NextToken expired: it was issued at {DateTimeOffset.FromUnixTimeMilliseconds(query.IssuedMilliseconds):O}, more than 5 minutes ago.");
            }

            lock (_gate)
            {
                stream = _byId.GetValueOrDefault(query.StreamId) ?? throw new KinesisResourceNotFoundException("The stream of this NextToken was deleted.");
            }

            if (request.MaxResults is { } pageSize)
            {
                query = query with { MaxResults = ValidateMaxResults(pageSize) };
            }
        }
        else
        {
            if (request.StreamName is null)
            {
                throw new KinesisInvalidArgumentException("ListShards needs StreamName or NextToken.");
            }

            stream = GetStream(request.StreamName);
            var after = -1;
            if (request.ExclusiveStartShardId is not null && !ShardIds.TryParse(request.ExclusiveStartShardId, out after))
            {
                throw new KinesisInvalidArgumentException($"ExclusiveStartShardId '{request.ExclusiveStartShardId}' is not a shard id (shardId-000000000000).");
            }

            var filterType = -1;
            long filterTime = 0;
            if (request.ShardFilter is { } filter)
            {
                filterType = (int)filter.Type;
                switch (filter.Type)
                {
                    case ShardFilterType.AfterShardId:
                        if (!ShardIds.TryParse(filter.ShardId, out var filterAfter))
                        {
                            throw new KinesisInvalidArgumentException($"ShardFilter AFTER_SHARD_ID needs a ShardId; '{filter.ShardId}' is not one.");
                        }

                        after = Math.Max(after, filterAfter);
                        break;
                    case ShardFilterType.AtTimestamp or ShardFilterType.FromTimestamp:
                        filterTime = filter.Timestamp?.ToUnixTimeMilliseconds()
                            ?? throw new KinesisInvalidArgumentException($"ShardFilter {filter.Type.ToWire()} needs a Timestamp.");
                        break;
                    case ShardFilterType.AtTrimHorizon or ShardFilterType.FromTrimHorizon or ShardFilterType.AtLatest:
                        break;
                    default:
                        throw new KinesisInvalidArgumentException($"ShardFilter type {filter.Type} is not a ListShards filter.");
                }
            }

            query = new ListShardsToken(stream.Id, after, filterType, filterTime, ValidateMaxResults(request.MaxResults ?? 1000), now);
        }

        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            var horizon = Math.Max(stream.CreatedMilliseconds, now - stream.RetentionMilliseconds);
            var page = new List<Shard>(Math.Min(query.MaxResults, stream.Shards.Count));
            var last = query.AfterShardIndex;
            var more = false;
            foreach (var shard in stream.Shards)
            {
                if (shard.Index <= query.AfterShardIndex || !Matches(shard, query, horizon, stream.CreatedMilliseconds))
                {
                    continue;
                }

                if (page.Count == query.MaxResults)
                {
                    more = true;
                    break;
                }

                page.Add(shard.ToShard());
                last = shard.Index;
            }

            var next = more ? OpaqueToken.Encode(query with { AfterShardIndex = last, IssuedMilliseconds = now }) : null;
            return Task.FromResult(new ListShardsResponse(page, next));
        }
    }

    /// <inheritdoc />
    public async Task<PutRecordResponse> PutRecordAsync(PutRecordRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.SequenceNumberForOrdering is not null && !SequenceNumbers.IsValid(request.SequenceNumberForOrdering))
        {
            throw new KinesisInvalidArgumentException($"SequenceNumberForOrdering '{request.SequenceNumberForOrdering}' is not a sequence number.");
        }

        // Records of one partition key already go to one shard in arrival order with increasing
        // sequence numbers, which is all SequenceNumberForOrdering asks of Kinesis.
        var response = await PutRecordsAsync(
            new PutRecordsRequest(request.StreamName, [new PutRecordsRequestEntry(request.Data, request.PartitionKey, request.ExplicitHashKey)]),
            cancellationToken).ConfigureAwait(false);
        return new PutRecordResponse(response.Records[0].ShardId!, response.Records[0].SequenceNumber!);
    }

    /// <inheritdoc />
    public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var records = request.Records ?? throw new KinesisInvalidArgumentException("PutRecords needs Records.");
        var hashKeys = ValidatePutRecords(request.StreamName, records);
        var stream = GetStream(request.StreamName);
        var results = new PutRecordsResultEntry[records.Count];
        var touched = new List<EmbeddedShard>(Math.Min(records.Count, stream.OpenShards.Count));
        var scratch = ArrayPool<byte>.Shared.Rent(StoredRecord.HeaderSize + StoredRecord.MaxPartitionKeyBytes + MaxRecordBytes);
        try
        {
            lock (stream.Gate)
            {
                ThrowIfDeleted(stream);
                var now = NowMilliseconds();
                Span<byte> key = stackalloc byte[StoredRecord.MaxPartitionKeyBytes];
                for (var i = 0; i < records.Count; i++)
                {
                    var entry = records[i];
                    var shard = stream.Route(hashKeys[i]);
                    var counter = stream.NextCounter();
                    var arrival = shard.NextArrival(now);
                    var keyLength = Encoding.UTF8.GetBytes(entry.PartitionKey, key);
                    var length = new StoredRecord(counter, arrival, key[..keyLength], entry.Data.Span).Encode(scratch);
                    var address = shard.Log.Append(scratch.AsSpan(0, length));
                    shard.OnAppended(address, counter, arrival);
                    results[i] = new PutRecordsResultEntry(shard.ShardId, EmbeddedSequenceNumber.Format(counter, shard.Index));
                    if (!touched.Contains(shard))
                    {
                        touched.Add(shard);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }

        // Outside the gate, so concurrent producers' records share each commit (and its fsync).
        foreach (var shard in touched)
        {
            shard.Log.Commit();
        }

        return Task.FromResult(new PutRecordsResponse(0, results));
    }

    /// <inheritdoc />
    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        EmbeddedShard shard;
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            shard = FindShard(stream, request.ShardId);
        }

        long address;
        switch (request.ShardIteratorType)
        {
            case ShardIteratorType.TrimHorizon:
                address = shard.Log.BeginAddress;
                break;
            case ShardIteratorType.Latest:
                address = shard.Log.CommittedAddress;
                break;
            case ShardIteratorType.AtSequenceNumber or ShardIteratorType.AfterSequenceNumber:
                var counter = ParseSequenceNumber(stream, shard, request.StartingSequenceNumber);
                if (request.ShardIteratorType == ShardIteratorType.AfterSequenceNumber)
                {
                    counter = counter == ulong.MaxValue ? counter : counter + 1;
                }

                address = shard.SeekCounter(counter);
                break;
            case ShardIteratorType.AtTimestamp:
                var timestamp = request.Timestamp
                    ?? throw new KinesisInvalidArgumentException($"GetShardIterator AT_TIMESTAMP on {shard.ShardId} of stream {stream.Name} needs a Timestamp.");
                address = shard.SeekArrival(timestamp.ToUnixTimeMilliseconds());
                break;
            default:
                throw new KinesisInvalidArgumentException($"ShardIteratorType {request.ShardIteratorType} is not an iterator type.");
        }

        return Task.FromResult(new GetShardIteratorResponse(OpaqueToken.Encode(new IteratorToken(stream.Id, shard.Index, address, NowMilliseconds()))));
    }

    /// <inheritdoc />
    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var limit = request.Limit ?? 10_000;
        if (limit is < 1 or > 10_000)
        {
            throw new KinesisInvalidArgumentException($"GetRecords Limit {limit} must be from 1 to 10,000.");
        }

        if (!OpaqueToken.TryDecodeIterator(request.ShardIterator, out var token))
        {
            throw new KinesisInvalidArgumentException($"ShardIterator '{request.ShardIterator}' is not a shard iterator of this stream log.");
        }

        var now = NowMilliseconds();
        if (now - token.IssuedMilliseconds > (long)TokenLifetime.TotalMilliseconds)
        {
            throw new KinesisExpiredIteratorException($"Iterator expired. The iterator was created at time {DateTimeOffset.FromUnixTimeMilliseconds(token.IssuedMilliseconds):O} while right now it is {DateTimeOffset.FromUnixTimeMilliseconds(now):O} which is further in the future than the tolerated delay of 300000 milliseconds.");
        }

        EmbeddedStream stream;
        lock (_gate)
        {
            stream = _byId.GetValueOrDefault(token.StreamId) ?? throw new KinesisResourceNotFoundException("The stream of this shard iterator was deleted.");
        }

        EmbeddedShard shard;
        bool isOpen;
        long horizon;
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            shard = stream.Find(token.ShardIndex)
                ?? throw new KinesisResourceNotFoundException($"Shard {ShardIds.Format(token.ShardIndex)} in stream {stream.Name} under account {KinesisArn.LocalAccountId} does not exist (it expired).");
            isOpen = shard.IsOpen;
            horizon = now - stream.RetentionMilliseconds;
        }

        var records = new List<KinesisRecord>(Math.Min(limit, 1000));
        var bytes = 0L;
        long lastArrival = -1;
        long next;
        using (var reader = shard.Log.CreateReader(token.Address))
        {
            while (records.Count < limit)
            {
                var status = reader.TryRead(out var payload, out var address);
                if (status == ReadStatus.Truncated)
                {
                    reader.Seek(shard.Log.BeginAddress); // retention moved past the iterator: go on from the trim horizon
                    continue;
                }

                if (status == ReadStatus.EndOfLog)
                {
                    break;
                }

                if (!StoredRecord.TryDecode(payload, out var stored))
                {
                    throw new StreamLog.Exceptions.StreamLogCorruptedException(shard.Directory, address, "the record is not a stored Kinesis record.");
                }

                if (stored.ArrivalMilliseconds < horizon)
                {
                    continue; // past the retention period: Kinesis no longer has it
                }

                if (records.Count > 0 && bytes + stored.Data.Length + stored.PartitionKey.Length > MaxGetRecordsBytes)
                {
                    reader.Seek(address);
                    break;
                }

                bytes += stored.Data.Length + stored.PartitionKey.Length;
                lastArrival = stored.ArrivalMilliseconds;
                records.Add(new KinesisRecord(
                    EmbeddedSequenceNumber.Format(stored.Counter, shard.Index),
                    DateTimeOffset.FromUnixTimeMilliseconds(stored.ArrivalMilliseconds),
                    stored.Data.ToArray(),
                    stored.PartitionKeyString()));
            }

            next = reader.NextAddress;
        }

        var caughtUp = next >= shard.Log.CommittedAddress;
        var millisBehind = caughtUp || lastArrival < 0 ? 0 : Math.Max(0, now - lastArrival);
        if (!isOpen && caughtUp)
        {
            IReadOnlyList<ChildShard> children;
            lock (stream.Gate)
            {
                children = stream.ChildrenOf(shard);
            }

            return Task.FromResult(new GetRecordsResponse(records, null, 0, children));
        }

        return Task.FromResult(new GetRecordsResponse(records, OpaqueToken.Encode(new IteratorToken(stream.Id, shard.Index, next, now)), millisBehind));
    }

    /// <inheritdoc />
    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            var parent = FindShard(stream, request.ShardToSplit);
            RequireOpen(stream, parent);
            var range = parent.HashKeyRange;
            if (request.NewStartingHashKey <= range.StartingHashKey || request.NewStartingHashKey > range.EndingHashKey)
            {
                throw new KinesisInvalidArgumentException($"NewStartingHashKey {HashKeys.Format(request.NewStartingHashKey)} must be greater than {HashKeys.Format(range.StartingHashKey)} and at most {HashKeys.Format(range.EndingHashKey)}, inside the range of {parent.ShardId} of stream {stream.Name}.");
            }

            RequireRoom(stream, 2);
            lock (_gate)
            {
                Split(stream, parent, request.NewStartingHashKey);
                WriteCatalogLocked();
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            var first = FindShard(stream, request.ShardToMerge);
            var second = FindShard(stream, request.AdjacentShardToMerge);
            RequireOpen(stream, first);
            RequireOpen(stream, second);
            var (low, high) = first.HashKeyRange.StartingHashKey < second.HashKeyRange.StartingHashKey ? (first, second) : (second, first);
            if (first == second || low.HashKeyRange.EndingHashKey == UInt128.MaxValue || low.HashKeyRange.EndingHashKey + 1 != high.HashKeyRange.StartingHashKey)
            {
                throw new KinesisInvalidArgumentException($"Shards {first.ShardId} and {second.ShardId} of stream {stream.Name} are not adjacent: their hash key ranges must touch.");
            }

            RequireRoom(stream, 1);
            lock (_gate)
            {
                Merge(stream, first, second);
                WriteCatalogLocked();
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Uniform scaling as a series of splits and merges, like Kinesis: first each open shard is split
    /// at the boundaries of <see cref="HashKeys.EvenSplit"/>(target) inside it, then the pieces of
    /// each target range are merged, so the open shards end with exactly the even ranges and every
    /// new shard has its parents.
    /// </remarks>
    public Task<UpdateShardCountResponse> UpdateShardCountAsync(UpdateShardCountRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var stream = GetStream(request.StreamName);
        lock (stream.Gate)
        {
            ThrowIfDeleted(stream);
            var current = stream.OpenShards.Count;
            var target = request.TargetShardCount;
            if (target < 1 || target > _options.MaxShardsPerStream)
            {
                throw new KinesisInvalidArgumentException($"TargetShardCount {target} for stream {stream.Name} must be from 1 to {_options.MaxShardsPerStream}.");
            }

            if (target > 2 * current || target < (current + 1) / 2)
            {
                throw new KinesisLimitExceededException($"UpdateShardCount of stream {stream.Name} from {current} to {target} shards: a single call may at most double or halve the open shard count ({(current + 1) / 2} to {2 * current}).");
            }

            if (target == current && stream.OpenShards.Select(s => s.HashKeyRange).SequenceEqual(HashKeys.EvenSplit(target)))
            {
                return Task.FromResult(new UpdateShardCountResponse(stream.Name, current, target));
            }

            var ranges = HashKeys.EvenSplit(target);
            var splits = ranges.Skip(1).Count(r => stream.Route(r.StartingHashKey).HashKeyRange.StartingHashKey != r.StartingHashKey);
            RequireRoom(stream, (2 * splits) + current + splits);
            lock (_gate)
            {
                foreach (var range in ranges.Skip(1))
                {
                    var owner = stream.Route(range.StartingHashKey);
                    if (owner.HashKeyRange.StartingHashKey != range.StartingHashKey)
                    {
                        Split(stream, owner, range.StartingHashKey);
                    }
                }

                foreach (var range in ranges)
                {
                    var pieces = stream.OpenShards.Where(s => s.HashKeyRange.StartingHashKey >= range.StartingHashKey && s.HashKeyRange.EndingHashKey <= range.EndingHashKey).ToList();
                    var merged = pieces[0];
                    for (var i = 1; i < pieces.Count; i++)
                    {
                        merged = Merge(stream, merged, pieces[i]);
                    }
                }

                WriteCatalogLocked();
            }

            return Task.FromResult(new UpdateShardCountResponse(stream.Name, current, target));
        }
    }

    /// <summary>
    /// Drops what the retention period has passed: whole segments of records older than it, and
    /// closed shards that closed before it. Runs on open and every <see cref="EmbeddedKinesisOptions.RetentionCheckInterval"/>;
    /// reads never return expired records whether or not it has run.
    /// </summary>
    /// <returns>How many segments and shards were dropped.</returns>
    public int ApplyRetention()
    {
        List<EmbeddedStream> streams;
        lock (_gate)
        {
            ThrowIfDisposed();
            streams = [.. _byId.Values];
        }

        var dropped = 0;
        var now = NowMilliseconds();
        foreach (var stream in streams)
        {
            List<EmbeddedShard> expired;
            lock (stream.Gate)
            {
                if (stream.IsDeleted)
                {
                    continue;
                }

                var horizon = now - stream.RetentionMilliseconds;
                expired = [.. stream.Shards.Where(s => !s.IsOpen && s.ClosedMilliseconds < horizon)];
                foreach (var shard in stream.Shards)
                {
                    if (!expired.Contains(shard))
                    {
                        dropped += shard.DropSegmentsBefore(horizon);
                    }
                }

                if (expired.Count > 0)
                {
                    lock (_gate)
                    {
                        stream.Shards.RemoveAll(expired.Contains);
                        WriteCatalogLocked();
                    }

                    foreach (var shard in expired)
                    {
                        shard.Dispose();
                        DeleteDirectory(shard.Directory);
                    }
                }
            }

            dropped += expired.Count;
        }

        return dropped;
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

    private void OnRetentionTimer()
    {
        try
        {
            ApplyRetention();
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the tick and the sweep.
        }
        catch (IOException)
        {
            // A file busy or gone: the next tick tries again, and reads skip expired records meanwhile.
        }
    }

    private EmbeddedShard AddShard(EmbeddedStream stream, string? parent, string? adjacentParent, HashKeyRange range, long now)
    {
        var index = stream.NextShardIndex++;
        var directory = StreamCatalog.ShardDirectory(stream.Directory, index);
        var shard = new EmbeddedShard(index, parent, adjacentParent, range, stream.NextCounter(), now, directory, AppendLog.Open(directory, _options.Log, _time));
        shard.Rebuild();
        stream.Add(shard);
        return shard;
    }

    private void Split(EmbeddedStream stream, EmbeddedShard parent, UInt128 newStartingHashKey)
    {
        var now = NowMilliseconds();
        parent.Close(stream.NextCounter(), now);
        var range = parent.HashKeyRange;
        AddShard(stream, parent.ShardId, null, range with { EndingHashKey = newStartingHashKey - 1 }, now);
        AddShard(stream, parent.ShardId, null, range with { StartingHashKey = newStartingHashKey }, now);
    }

    private EmbeddedShard Merge(EmbeddedStream stream, EmbeddedShard shard, EmbeddedShard adjacent)
    {
        var now = NowMilliseconds();
        shard.Close(stream.NextCounter(), now);
        adjacent.Close(stream.NextCounter(), now);
        var low = UInt128.Min(shard.HashKeyRange.StartingHashKey, adjacent.HashKeyRange.StartingHashKey);
        var high = UInt128.Max(shard.HashKeyRange.EndingHashKey, adjacent.HashKeyRange.EndingHashKey);
        return AddShard(stream, shard.ShardId, adjacent.ShardId, new HashKeyRange(low, high), now);
    }

    private void RequireRoom(EmbeddedStream stream, int newShards)
    {
        if (stream.Shards.Count + newShards > _options.MaxShardsPerStream)
        {
            throw new KinesisLimitExceededException($"Stream {stream.Name} has {stream.Shards.Count} shards (open and closed); {newShards} more would pass the limit of {_options.MaxShardsPerStream}.");
        }
    }

    private static void RequireOpen(EmbeddedStream stream, EmbeddedShard shard)
    {
        if (!shard.IsOpen)
        {
            throw new KinesisInvalidArgumentException($"Shard {shard.ShardId} of stream {stream.Name} is closed; only open shards can be split or merged.");
        }
    }

    private static bool Matches(EmbeddedShard shard, ListShardsToken query, long trimHorizon, long streamCreated)
    {
        if (query.FilterType < 0)
        {
            return true;
        }

        var closed = shard.ClosedMilliseconds;
        return (ShardFilterType)query.FilterType switch
        {
            ShardFilterType.AfterShardId or ShardFilterType.FromTrimHorizon => true,
            ShardFilterType.AtLatest => shard.IsOpen,
            ShardFilterType.AtTrimHorizon => OpenAt(trimHorizon),
            ShardFilterType.AtTimestamp => OpenAt(Math.Max(query.FilterMilliseconds, streamCreated)),
            ShardFilterType.FromTimestamp => closed is null || closed >= query.FilterMilliseconds,
            _ => true,
        };

        bool OpenAt(long time) => shard.CreatedMilliseconds <= time && (closed is null || closed > time);
    }

    private static int ValidateMaxResults(int maxResults) =>
        maxResults is >= 1 and <= 10_000
            ? maxResults
            : throw new KinesisInvalidArgumentException($"MaxResults {maxResults} must be from 1 to 10,000.");

    private static UInt128[] ValidatePutRecords(string streamName, IReadOnlyList<PutRecordsRequestEntry> records)
    {
        ValidateStreamName(streamName);
        if (records.Count is < 1 or > MaxRecordsPerRequest)
        {
            throw new KinesisInvalidArgumentException($"PutRecords to stream {streamName} has {records.Count} records; it takes 1 to {MaxRecordsPerRequest}.");
        }

        var hashKeys = new UInt128[records.Count];
        long total = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var entry = records[i] ?? throw new KinesisInvalidArgumentException($"Records[{i}] of PutRecords to stream {streamName} is null.");
            var key = entry.PartitionKey;
            if (PartitionKeys.Check(key) is not PartitionKeyProblem.None and var problem)
            {
                throw new KinesisInvalidArgumentException($"Records[{i}].PartitionKey of PutRecords to stream {streamName}: {PartitionKeys.Describe(problem, key)}.");
            }

            var keyBytes = Encoding.UTF8.GetByteCount(key);
            var size = (long)entry.Data.Length + keyBytes;
            if (size > MaxRecordBytes)
            {
                throw new KinesisInvalidArgumentException($"Records[{i}] of PutRecords to stream {streamName} is {size} bytes (data and partition key); a record may be at most {MaxRecordBytes} bytes (1 MiB).");
            }

            total += size;
            if (entry.ExplicitHashKey is null)
            {
                hashKeys[i] = HashKeys.FromPartitionKey(key);
            }
            else if (!HashKeys.TryParse(entry.ExplicitHashKey, out hashKeys[i]))
            {
                throw new KinesisInvalidArgumentException($"Records[{i}].ExplicitHashKey '{entry.ExplicitHashKey}' of PutRecords to stream {streamName} is not {HashKeys.Rule}.");
            }
        }

        if (total > MaxRequestBytes)
        {
            throw new KinesisInvalidArgumentException($"PutRecords to stream {streamName} carries {total} bytes of data and partition keys; a request may carry at most {MaxRequestBytes} bytes (5 MiB).");
        }

        return hashKeys;
    }

    private static void ValidateStreamName(string? streamName)
    {
        if (string.IsNullOrEmpty(streamName) || streamName.Length > 128 || !streamName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
        {
            throw new KinesisInvalidArgumentException($"StreamName '{streamName}' must be 1 to 128 characters of a-z, A-Z, 0-9, '_', '.' and '-'.");
        }
    }

    private static ulong ParseSequenceNumber(EmbeddedStream stream, EmbeddedShard shard, string? sequenceNumber)
    {
        if (!SequenceNumbers.IsValid(sequenceNumber))
        {
            throw new KinesisInvalidArgumentException($"StartingSequenceNumber '{sequenceNumber}' for {shard.ShardId} of stream {stream.Name} is not a sequence number.");
        }

        if (!EmbeddedSequenceNumber.TryParse(sequenceNumber, out var counter, out var shardIndex) || shardIndex != shard.Index)
        {
            throw new KinesisInvalidArgumentException($"StartingSequenceNumber {sequenceNumber} used in GetShardIterator on shard {shard.ShardId} in stream {stream.Name} under account {KinesisArn.LocalAccountId} is invalid because it did not come from this shard.");
        }

        return counter;
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
