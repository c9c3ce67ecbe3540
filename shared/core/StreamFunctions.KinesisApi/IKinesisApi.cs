using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.KinesisApi;

/// <summary>
/// The Kinesis Data Streams operations the platform uses, with Kinesis's semantics: the HTTP
/// client (StreamFunctions.Aws.Kinesis) sends them to Kinesis, LocalStack or an emulator, and the
/// embedded stream log serves them in-process. Functions, the event-source-mapping runner and
/// the lease coordinator depend on this interface only, so each runs unchanged on either.
/// </summary>
/// <remarks>
/// Errors are <see cref="Exceptions.KinesisException"/> subtypes named after Kinesis's error
/// codes. Per-record failures of <see cref="PutRecordsAsync"/> are results, not exceptions.
/// </remarks>
public interface IKinesisApi
{
    /// <summary>Creates a provisioned stream whose shards split the hash key space evenly.</summary>
    Task CreateStreamAsync(CreateStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stream and its data.</summary>
    Task DeleteStreamAsync(DeleteStreamRequest request, CancellationToken cancellationToken = default);

    /// <summary>Describes a stream: status, ARN, retention and open shard count.</summary>
    Task<StreamDescriptionSummary> DescribeStreamSummaryAsync(string streamName, CancellationToken cancellationToken = default);

    /// <summary>Lists a stream's shards, a page at a time (open and closed, unless filtered).</summary>
    Task<ListShardsResponse> ListShardsAsync(ListShardsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Writes one record.</summary>
    Task<PutRecordResponse> PutRecordAsync(PutRecordRequest request, CancellationToken cancellationToken = default);

    /// <summary>Writes up to 500 records; each entry of the response succeeded or carries its error code.</summary>
    Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Returns an iterator positioned in a shard.</summary>
    Task<GetShardIteratorResponse> GetShardIteratorAsync(GetShardIteratorRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads records from an iterator; the next iterator is null once a closed shard is read to its end.</summary>
    Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Splits one open shard into two children at a hash key.</summary>
    Task SplitShardAsync(SplitShardRequest request, CancellationToken cancellationToken = default);

    /// <summary>Merges two adjacent open shards into one child.</summary>
    Task MergeShardsAsync(MergeShardsRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reshards a stream to a target count with uniform scaling.</summary>
    Task<UpdateShardCountResponse> UpdateShardCountAsync(UpdateShardCountRequest request, CancellationToken cancellationToken = default);
}
