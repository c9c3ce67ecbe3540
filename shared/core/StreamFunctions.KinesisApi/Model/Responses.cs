namespace StreamFunctions.KinesisApi.Model;

/// <summary>DescribeStreamSummary's StreamDescriptionSummary.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="StreamArn">Its ARN (the <c>eventSourceARN</c> of its Lambda events).</param>
/// <param name="StreamStatus">CREATING, DELETING, ACTIVE or UPDATING.</param>
/// <param name="RetentionPeriodHours">How long records are kept (24 by default).</param>
/// <param name="StreamCreationTimestamp">When it was created.</param>
/// <param name="OpenShardCount">Shards still accepting writes.</param>
/// <param name="EncryptionType">NONE or KMS.</param>
public sealed record StreamDescriptionSummary(
    string StreamName,
    string StreamArn,
    StreamStatus StreamStatus,
    int RetentionPeriodHours,
    DateTimeOffset StreamCreationTimestamp,
    int OpenShardCount,
    EncryptionType EncryptionType = EncryptionType.None);

/// <summary>A page of ListShards.</summary>
/// <param name="Shards">The shards of this page, in shard id order.</param>
/// <param name="NextToken">The next page's token, or null on the last page.</param>
public sealed record ListShardsResponse(IReadOnlyList<Shard> Shards, string? NextToken);

/// <summary>A shard and its lineage.</summary>
/// <param name="ShardId">Its id, <c>shardId-000000000000</c> style.</param>
/// <param name="ParentShardId">The shard it was split from, or the first of the two it was merged from.</param>
/// <param name="AdjacentParentShardId">The second shard of a merge.</param>
/// <param name="HashKeyRange">The hash keys it owns.</param>
/// <param name="SequenceNumberRange">Its first sequence number, and its last once closed.</param>
public sealed record Shard(
    string ShardId,
    string? ParentShardId,
    string? AdjacentParentShardId,
    HashKeyRange HashKeyRange,
    SequenceNumberRange SequenceNumberRange)
{
    /// <summary>Whether the shard still takes writes (no ending sequence number yet).</summary>
    public bool IsOpen => SequenceNumberRange.EndingSequenceNumber is null;
}

/// <summary>A contiguous range of 128-bit hash keys, both ends included.</summary>
/// <param name="StartingHashKey">The first hash key.</param>
/// <param name="EndingHashKey">The last hash key.</param>
public readonly record struct HashKeyRange(UInt128 StartingHashKey, UInt128 EndingHashKey)
{
    /// <summary>Whether <paramref name="hashKey"/> falls in the range.</summary>
    public bool Contains(UInt128 hashKey) => hashKey >= StartingHashKey && hashKey <= EndingHashKey;
}

/// <summary>A shard's sequence numbers.</summary>
/// <param name="StartingSequenceNumber">The first.</param>
/// <param name="EndingSequenceNumber">The last, once the shard is closed; null while open.</param>
public sealed record SequenceNumberRange(string StartingSequenceNumber, string? EndingSequenceNumber);

/// <summary>PutRecord's result.</summary>
/// <param name="ShardId">The shard written.</param>
/// <param name="SequenceNumber">The record's sequence number.</param>
public sealed record PutRecordResponse(string ShardId, string SequenceNumber);

/// <summary>PutRecords' result: one entry per request entry, in order.</summary>
/// <param name="FailedRecordCount">How many entries failed.</param>
/// <param name="Records">The entries' outcomes.</param>
public sealed record PutRecordsResponse(int FailedRecordCount, IReadOnlyList<PutRecordsResultEntry> Records);

/// <summary>One PutRecords outcome: a shard and sequence number, or an error code and message.</summary>
/// <param name="ShardId">The shard written, on success.</param>
/// <param name="SequenceNumber">The sequence number, on success.</param>
/// <param name="ErrorCode">On failure: <see cref="KinesisErrorCodes.ProvisionedThroughputExceeded"/> or <see cref="KinesisErrorCodes.InternalFailure"/>.</param>
/// <param name="ErrorMessage">On failure, Kinesis's message.</param>
public sealed record PutRecordsResultEntry(string? ShardId, string? SequenceNumber, string? ErrorCode = null, string? ErrorMessage = null)
{
    /// <summary>Whether the record was written.</summary>
    public bool Succeeded => ErrorCode is null;
}

/// <summary>GetShardIterator's result.</summary>
/// <param name="ShardIterator">An opaque iterator, valid for 5 minutes.</param>
public sealed record GetShardIteratorResponse(string ShardIterator);

/// <summary>GetRecords' result.</summary>
/// <param name="Records">The records, in sequence order.</param>
/// <param name="NextShardIterator">Where to read next; null once a closed shard has been read to its end.</param>
/// <param name="MillisBehindLatest">How far behind the shard's tip the read is.</param>
/// <param name="ChildShards">At the end of a closed shard, the shards that continue it.</param>
public sealed record GetRecordsResponse(
    IReadOnlyList<KinesisRecord> Records,
    string? NextShardIterator,
    long MillisBehindLatest,
    IReadOnlyList<ChildShard>? ChildShards = null);

/// <summary>A record as GetRecords returns it.</summary>
/// <param name="SequenceNumber">Its sequence number, unique and increasing within the shard.</param>
/// <param name="ApproximateArrivalTimestamp">When Kinesis accepted it.</param>
/// <param name="Data">The payload (may be KPL-aggregated).</param>
/// <param name="PartitionKey">Its partition key.</param>
/// <param name="EncryptionType">NONE or KMS.</param>
public sealed record KinesisRecord(
    string SequenceNumber,
    DateTimeOffset ApproximateArrivalTimestamp,
    ReadOnlyMemory<byte> Data,
    string PartitionKey,
    EncryptionType EncryptionType = EncryptionType.None);

/// <summary>A shard that continues a closed one.</summary>
/// <param name="ShardId">The child.</param>
/// <param name="ParentShards">Its parents (one after a split, two after a merge).</param>
/// <param name="HashKeyRange">The child's hash keys.</param>
public sealed record ChildShard(string ShardId, IReadOnlyList<string> ParentShards, HashKeyRange HashKeyRange);

/// <summary>UpdateShardCount's result.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="CurrentShardCount">The open shard count before the change.</param>
/// <param name="TargetShardCount">The open shard count asked for.</param>
public sealed record UpdateShardCountResponse(string StreamName, int CurrentShardCount, int TargetShardCount);
