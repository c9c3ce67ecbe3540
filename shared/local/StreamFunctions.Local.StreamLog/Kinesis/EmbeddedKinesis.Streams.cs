using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.StreamLog.Kinesis;

// Stream administration: CreateStream, DeleteStream, DescribeStreamSummary, retention period, ListShards.
public sealed partial class EmbeddedKinesis
{
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
}
