namespace StreamFunctions.KinesisApi.Model;

/// <summary>CreateStream: a provisioned stream with <paramref name="ShardCount"/> shards.</summary>
/// <param name="StreamName">1–128 characters of <c>[a-zA-Z0-9_.-]</c>.</param>
/// <param name="ShardCount">At least 1.</param>
public sealed record CreateStreamRequest(string StreamName, int ShardCount);

/// <summary>DeleteStream.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="EnforceConsumerDeletion">Delete even if enhanced fan-out consumers are registered.</param>
public sealed record DeleteStreamRequest(string StreamName, bool EnforceConsumerDeletion = false);

/// <summary>ListShards. Give either <paramref name="StreamName"/> or <paramref name="NextToken"/>, as Kinesis requires.</summary>
/// <param name="StreamName">The stream (first page).</param>
/// <param name="NextToken">The token of the previous page.</param>
/// <param name="ExclusiveStartShardId">List shards after this id (first page only).</param>
/// <param name="MaxResults">Page size, 1–10,000 (Kinesis's default is 1,000).</param>
/// <param name="ShardFilter">Which shards to list (first page only).</param>
public sealed record ListShardsRequest(
    string? StreamName = null,
    string? NextToken = null,
    string? ExclusiveStartShardId = null,
    int? MaxResults = null,
    ShardFilter? ShardFilter = null);

/// <summary>The ListShards filter.</summary>
/// <param name="Type">What to list.</param>
/// <param name="ShardId">For <see cref="ShardFilterType.AfterShardId"/>.</param>
/// <param name="Timestamp">For the timestamp filters.</param>
public sealed record ShardFilter(ShardFilterType Type, string? ShardId = null, DateTimeOffset? Timestamp = null);

/// <summary>PutRecord.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="Data">The payload, at most 1 MiB with the partition key.</param>
/// <param name="PartitionKey">1–256 Unicode characters; its MD5 picks the shard.</param>
/// <param name="ExplicitHashKey">A 128-bit decimal hash key that picks the shard instead.</param>
/// <param name="SequenceNumberForOrdering">Orders this record after that sequence number for the same partition key.</param>
public sealed record PutRecordRequest(
    string StreamName,
    ReadOnlyMemory<byte> Data,
    string PartitionKey,
    string? ExplicitHashKey = null,
    string? SequenceNumberForOrdering = null);

/// <summary>PutRecords: up to 500 entries and 5 MiB in all.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="Records">The entries, written in order per shard.</param>
public sealed record PutRecordsRequest(string StreamName, IReadOnlyList<PutRecordsRequestEntry> Records);

/// <summary>One record of a PutRecords request.</summary>
/// <param name="Data">The payload.</param>
/// <param name="PartitionKey">1–256 Unicode characters.</param>
/// <param name="ExplicitHashKey">A 128-bit decimal hash key, or null.</param>
public sealed record PutRecordsRequestEntry(ReadOnlyMemory<byte> Data, string PartitionKey, string? ExplicitHashKey = null);

/// <summary>GetShardIterator.</summary>
/// <param name="StreamName">The stream: its name, or its ARN (Kinesis's <c>StreamARN</c>, which also reaches a stream another account shares).</param>
/// <param name="ShardId">The shard.</param>
/// <param name="ShardIteratorType">Where to start.</param>
/// <param name="StartingSequenceNumber">For AT_ and AFTER_SEQUENCE_NUMBER.</param>
/// <param name="Timestamp">For AT_TIMESTAMP.</param>
public sealed record GetShardIteratorRequest(
    string StreamName,
    string ShardId,
    ShardIteratorType ShardIteratorType,
    string? StartingSequenceNumber = null,
    DateTimeOffset? Timestamp = null);

/// <summary>GetRecords.</summary>
/// <param name="ShardIterator">An iterator from GetShardIterator or the previous GetRecords.</param>
/// <param name="Limit">At most this many records, 1–10,000 (the default).</param>
public sealed record GetRecordsRequest(string ShardIterator, int? Limit = null);

/// <summary>SplitShard.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="ShardToSplit">An open shard.</param>
/// <param name="NewStartingHashKey">The first hash key of the upper child; strictly inside the shard's range.</param>
public sealed record SplitShardRequest(string StreamName, string ShardToSplit, UInt128 NewStartingHashKey);

/// <summary>MergeShards.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="ShardToMerge">An open shard.</param>
/// <param name="AdjacentShardToMerge">An open shard whose range is adjacent to it.</param>
public sealed record MergeShardsRequest(string StreamName, string ShardToMerge, string AdjacentShardToMerge);

/// <summary>UpdateShardCount with UNIFORM_SCALING, the only scaling type Kinesis has.</summary>
/// <param name="StreamName">The stream.</param>
/// <param name="TargetShardCount">The open shard count wanted.</param>
public sealed record UpdateShardCountRequest(string StreamName, int TargetShardCount);
