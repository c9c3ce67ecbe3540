using System.Globalization;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Testing.Kinesis;

/// <summary>
/// An in-memory <see cref="IKinesisApi"/> for unit tests of code that reads or writes streams:
/// MD5 routing, per-shard sequence order, all iterator types, split/merge lineage and child shards
/// at the end of a closed shard. <see cref="Fault"/> injects Kinesis errors per call.
/// Not a model of throughput limits or retention; integration tests use the emulator.
/// </summary>
public sealed class InMemoryKinesis(TimeProvider? time = null) : IKinesisApi
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, MemoryStream> _streams = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _nextSequence = 1_000;

    /// <summary>Called before each operation with its name (e.g. "GetRecords"); a non-null result is thrown.</summary>
    public Func<string, KinesisException?>? Fault { get; set; }

    /// <summary>Called for each PutRecords entry with its index; a non-null error code fails that entry.</summary>
    public Func<int, string?>? PutRecordsEntryFault { get; set; }

    /// <summary>How many GetRecords calls were served.</summary>
    public int GetRecordsCalls { get; private set; }

    /// <inheritdoc />
    public Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("CreateStream");
            if (_streams.ContainsKey(request.StreamName))
            {
                throw new KinesisResourceInUseException($"Stream {request.StreamName} already exists.");
            }

            var stream = new MemoryStream(request.StreamName, _time.GetUtcNow());
            foreach (var range in HashKeys.EvenSplit(request.ShardCount))
            {
                stream.AddShard(null, null, range, NextSequence());
            }

            _streams.Add(request.StreamName, stream);
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("DeleteStream");
            if (!_streams.Remove(request.StreamName))
            {
                throw NotFound(request.StreamName);
            }

            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task<StreamDescriptionSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("DescribeStreamSummary");
            var stream = Get(streamName);
            return Task.FromResult(new StreamDescriptionSummary(
                streamName,
                new KinesisArn("aws", "us-east-1", KinesisArn.LocalAccountId, streamName).ToString(),
                StreamStatus.Active,
                24,
                stream.Created,
                stream.Shards.Count(s => s.Shard.IsOpen)));
        }
    }

    /// <inheritdoc />
    public Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("ListShards");
            string streamName;
            var start = 0;
            if (request.NextToken is not null)
            {
                var parts = request.NextToken.Split('|');
                streamName = parts[0];
                start = int.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            else
            {
                streamName = request.StreamName ?? throw new KinesisInvalidArgumentException("ListShards needs StreamName or NextToken.");
            }

            var shards = Get(streamName).Shards.Select(s => s.Shard)
                .Where(s => request.ExclusiveStartShardId is null || string.CompareOrdinal(s.ShardId, request.ExclusiveStartShardId) > 0)
                .Where(s => request.ShardFilter?.Type != ShardFilterType.AtLatest || s.IsOpen)
                .ToList();
            var size = request.MaxResults ?? 1000;
            var page = shards.Skip(start).Take(size).ToList();
            var next = start + size < shards.Count ? $"{streamName}|{start + size}" : null;
            return Task.FromResult(new ListShardsResponse(page, next));
        }
    }

    /// <inheritdoc />
    public async Task<PutRecordResponse> PutRecordAsync(PutRecordRequest request, CancellationToken cancellationToken = default)
    {
        var response = await PutRecordsAsync(
            new PutRecordsRequest(request.StreamName, [new PutRecordsRequestEntry(request.Data, request.PartitionKey, request.ExplicitHashKey)]),
            cancellationToken).ConfigureAwait(false);
        var entry = response.Records[0];
        return entry.Succeeded
            ? new PutRecordResponse(entry.ShardId!, entry.SequenceNumber!)
            : throw new KinesisThroughputExceededException(entry.ErrorMessage ?? entry.ErrorCode!);
    }

    /// <inheritdoc />
    public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("PutRecords");
            var stream = Get(request.StreamName);
            var results = new List<PutRecordsResultEntry>(request.Records.Count);
            var failed = 0;
            for (var i = 0; i < request.Records.Count; i++)
            {
                var entry = request.Records[i];
                if (PutRecordsEntryFault?.Invoke(i) is { } code)
                {
                    failed++;
                    results.Add(new PutRecordsResultEntry(null, null, code, $"Injected {code} for entry {i}."));
                    continue;
                }

                var hashKey = entry.ExplicitHashKey is null ? HashKeys.FromPartitionKey(entry.PartitionKey) : HashKeys.Parse(entry.ExplicitHashKey);
                var shard = stream.Shards.Single(s => s.Shard.IsOpen && s.Shard.HashKeyRange.Contains(hashKey));
                var sequence = NextSequence();
                shard.Records.Add(new KinesisRecord(sequence, _time.GetUtcNow(), entry.Data.ToArray(), entry.PartitionKey));
                results.Add(new PutRecordsResultEntry(shard.Shard.ShardId, sequence));
            }

            return Task.FromResult(new PutRecordsResponse(failed, results));
        }
    }

    /// <inheritdoc />
    public Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("GetShardIterator");
            var shard = Get(request.StreamName).Find(request.ShardId);
            var records = shard.Records;
            var position = request.ShardIteratorType switch
            {
                ShardIteratorType.TrimHorizon => 0,
                ShardIteratorType.Latest => records.Count,
                ShardIteratorType.AtSequenceNumber => IndexOf(request.StartingSequenceNumber, 0),
                ShardIteratorType.AfterSequenceNumber => IndexOf(request.StartingSequenceNumber, 1),
                ShardIteratorType.AtTimestamp => Count(records, r => r.ApproximateArrivalTimestamp < request.Timestamp),
                _ => throw new KinesisInvalidArgumentException($"Unknown iterator type {request.ShardIteratorType}."),
            };
            return Task.FromResult(new GetShardIteratorResponse(Iterator(request.StreamName, request.ShardId, position)));

            int IndexOf(string? sequence, int after)
            {
                if (!SequenceNumbers.IsValid(sequence))
                {
                    throw new KinesisInvalidArgumentException($"StartingSequenceNumber '{sequence}' is not a sequence number.");
                }

                return Count(records, r => SequenceNumbers.Compare(r.SequenceNumber, sequence!) < after);
            }
        }
    }

    /// <inheritdoc />
    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("GetRecords");
            GetRecordsCalls++;
            var parts = request.ShardIterator.Split('|');
            if (parts.Length != 3)
            {
                throw new KinesisInvalidArgumentException($"'{request.ShardIterator}' is not a shard iterator.");
            }

            var stream = Get(parts[0]);
            var shard = stream.Find(parts[1]);
            var position = int.Parse(parts[2], CultureInfo.InvariantCulture);
            var batch = shard.Records.Skip(position).Take(request.Limit ?? 10_000).ToList();
            var next = position + batch.Count;
            var atEnd = !shard.Shard.IsOpen && next >= shard.Records.Count;
            IReadOnlyList<ChildShard>? children = atEnd
                ? stream.Shards.Where(s => s.Shard.ParentShardId == shard.Shard.ShardId || s.Shard.AdjacentParentShardId == shard.Shard.ShardId)
                    .Select(s => new ChildShard(s.Shard.ShardId, new[] { s.Shard.ParentShardId!, s.Shard.AdjacentParentShardId }.OfType<string>().ToList(), s.Shard.HashKeyRange))
                    .ToList()
                : null;
            return Task.FromResult(new GetRecordsResponse(batch, atEnd ? null : Iterator(parts[0], parts[1], next), 0, children));
        }
    }

    /// <inheritdoc />
    public Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("SplitShard");
            var stream = Get(request.StreamName);
            var parent = stream.Find(request.ShardToSplit);
            var range = parent.Shard.HashKeyRange;
            if (!parent.Shard.IsOpen || request.NewStartingHashKey <= range.StartingHashKey || request.NewStartingHashKey > range.EndingHashKey)
            {
                throw new KinesisInvalidArgumentException($"Cannot split {request.ShardToSplit} at {request.NewStartingHashKey}.");
            }

            MemoryStream.Close(parent, NextSequence());
            stream.AddShard(parent.Shard.ShardId, null, range with { EndingHashKey = request.NewStartingHashKey - 1 }, NextSequence());
            stream.AddShard(parent.Shard.ShardId, null, range with { StartingHashKey = request.NewStartingHashKey }, NextSequence());
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    public Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Inject("MergeShards");
            var stream = Get(request.StreamName);
            var first = stream.Find(request.ShardToMerge);
            var second = stream.Find(request.AdjacentShardToMerge);
            var (low, high) = first.Shard.HashKeyRange.StartingHashKey < second.Shard.HashKeyRange.StartingHashKey ? (first, second) : (second, first);
            if (!first.Shard.IsOpen || !second.Shard.IsOpen || low.Shard.HashKeyRange.EndingHashKey + 1 != high.Shard.HashKeyRange.StartingHashKey)
            {
                throw new KinesisInvalidArgumentException($"Shards {request.ShardToMerge} and {request.AdjacentShardToMerge} are not adjacent open shards.");
            }

            MemoryStream.Close(first, NextSequence());
            MemoryStream.Close(second, NextSequence());
            stream.AddShard(first.Shard.ShardId, second.Shard.ShardId, new HashKeyRange(low.Shard.HashKeyRange.StartingHashKey, high.Shard.HashKeyRange.EndingHashKey), NextSequence());
            return Task.CompletedTask;
        }
    }

    /// <inheritdoc />
    /// <remarks>Not modelled here: resharding by count is the emulator's and the embedded log's job.</remarks>
    public Task<UpdateShardCountResponse> UpdateShardCountAsync(UpdateShardCountRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("InMemoryKinesis does not model UpdateShardCount; use SplitShard/MergeShards, the emulator or the embedded log.");

    private static int Count(List<KinesisRecord> records, Func<KinesisRecord, bool> before)
    {
        var n = 0;
        while (n < records.Count && before(records[n]))
        {
            n++;
        }

        return n;
    }

    private static string Iterator(string stream, string shard, int position) =>
        string.Create(CultureInfo.InvariantCulture, $"{stream}|{shard}|{position}");

    private static KinesisResourceNotFoundException NotFound(string streamName) =>
        new($"Stream {streamName} under account {KinesisArn.LocalAccountId} not found.");

    private string NextSequence() => (_nextSequence++).ToString("D21", CultureInfo.InvariantCulture);

    private void Inject(string operation)
    {
        if (Fault?.Invoke(operation) is { } error)
        {
            throw error;
        }
    }

    private MemoryStream Get(string streamName) =>
        _streams.TryGetValue(streamName, out var stream) ? stream : throw NotFound(streamName);

    private sealed class MemoryStream(string name, DateTimeOffset created)
    {
        public DateTimeOffset Created { get; } = created;

        public List<MemoryShard> Shards { get; } = [];

        public void AddShard(string? parent, string? adjacentParent, HashKeyRange range, string startingSequence) =>
            Shards.Add(new MemoryShard(new Shard(ShardIds.Format(Shards.Count), parent, adjacentParent, range, new SequenceNumberRange(startingSequence, null))));

        public static void Close(MemoryShard shard, string endingSequence) =>
            shard.Shard = shard.Shard with { SequenceNumberRange = shard.Shard.SequenceNumberRange with { EndingSequenceNumber = endingSequence } };

        public MemoryShard Find(string shardId) =>
            Shards.FirstOrDefault(s => s.Shard.ShardId == shardId)
            ?? throw new KinesisResourceNotFoundException($"Shard {shardId} in stream {name} not found.");
    }

    private sealed class MemoryShard(Shard shard)
    {
        public Shard Shard { get; set; } = shard;

        public List<KinesisRecord> Records { get; } = [];
    }
}
