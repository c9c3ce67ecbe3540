using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.StreamLog.Log;

namespace StreamFunctions.Local.StreamLog.Kinesis;

// Reads: GetShardIterator and GetRecords, with opaque iterators that expire as Kinesis's do.
public sealed partial class EmbeddedKinesis
{
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
        var limit = request.Limit ?? KinesisLimits.MaxGetRecordsRecords;
        if (limit is < 1 or > KinesisLimits.MaxGetRecordsRecords)
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

                if (records.Count > 0 && bytes + stored.Data.Length + stored.PartitionKey.Length > KinesisLimits.MaxGetRecordsBytes)
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
}
