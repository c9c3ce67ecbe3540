namespace StreamFunctions.Records;

/// <summary>
/// One user record: what a producer puts and what a consumer gets after de-aggregation. It is a view:
/// <see cref="Data"/> and UTF-8 keys are slices of the buffer they came from (the aggregate, the request),
/// valid as long as that buffer is.
/// </summary>
public readonly struct UserRecord
{
    /// <summary>A record to put.</summary>
    /// <param name="partitionKey">1–256 characters; its MD5 picks the shard unless <paramref name="explicitHashKey"/> is given.</param>
    /// <param name="data">The payload (referenced, not copied).</param>
    /// <param name="explicitHashKey">A decimal 128-bit hash key that picks the shard instead, or <see cref="RecordKey.None"/>.</param>
    public UserRecord(RecordKey partitionKey, ReadOnlyMemory<byte> data, RecordKey explicitHashKey = default)
    {
        PartitionKey = partitionKey;
        Data = data;
        ExplicitHashKey = explicitHashKey;
    }

    internal UserRecord(RecordKey partitionKey, ReadOnlyMemory<byte> data, RecordKey explicitHashKey, long subSequenceNumber, bool isAggregated)
        : this(partitionKey, data, explicitHashKey)
    {
        SubSequenceNumber = subSequenceNumber;
        IsAggregated = isAggregated;
    }

    /// <summary>The partition key.</summary>
    public RecordKey PartitionKey { get; }

    /// <summary>The explicit hash key, or <see cref="RecordKey.None"/>.</summary>
    public RecordKey ExplicitHashKey { get; }

    /// <summary>The payload.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>
    /// The record's index inside the KPL aggregate it came from (KCL's <c>subSequenceNumber</c>); 0 for a
    /// record that was not aggregated. With the Kinesis record's sequence number it names the user record.
    /// </summary>
    public long SubSequenceNumber { get; }

    /// <summary>Whether the record came out of a KPL aggregate (false for a plain Kinesis record passed through).</summary>
    public bool IsAggregated { get; }
}
