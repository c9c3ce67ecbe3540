using System.Buffers;
using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Exceptions;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Local.StreamLog.Kinesis;

// Writes: PutRecord and PutRecords, checked against Kinesis's limits (KinesisLimits) before anything is written.
public sealed partial class EmbeddedKinesis
{
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
        var scratch = ArrayPool<byte>.Shared.Rent(StoredRecord.HeaderSize + StoredRecord.MaxPartitionKeyBytes + KinesisLimits.MaxRecordBytes);
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

    private static UInt128[] ValidatePutRecords(string streamName, IReadOnlyList<PutRecordsRequestEntry> records)
    {
        ValidateStreamName(streamName);
        if (records.Count is < 1 or > KinesisLimits.MaxRecordsPerRequest)
        {
            throw new KinesisInvalidArgumentException($"PutRecords to stream {streamName} has {records.Count} records; it takes 1 to {KinesisLimits.MaxRecordsPerRequest}.");
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
            if (size > KinesisLimits.MaxRecordBytes)
            {
                throw new KinesisInvalidArgumentException($"Records[{i}] of PutRecords to stream {streamName} is {size} bytes (data and partition key); a record may be at most {KinesisLimits.MaxRecordBytes} bytes (1 MiB).");
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

        if (total > KinesisLimits.MaxRequestBytes)
        {
            throw new KinesisInvalidArgumentException($"PutRecords to stream {streamName} carries {total} bytes of data and partition keys; a request may carry at most {KinesisLimits.MaxRequestBytes} bytes (5 MiB).");
        }

        return hashKeys;
    }
}
