namespace StreamFunctions.Transform;

/// <summary>A record given to a transformation, as Firehose gives it.</summary>
/// <param name="RecordId">Unique within the call; the output must carry it back.</param>
/// <param name="ApproximateArrival">When the record reached the source stream.</param>
/// <param name="Data">The record's bytes (one user record: KPL aggregates are de-aggregated first).</param>
/// <param name="PartitionKey">The source partition key (Kinesis) or message key (Kafka), if any.</param>
/// <param name="ShardId">The source shard or partition, if any.</param>
/// <param name="SequenceNumber">The source sequence number or offset, if any.</param>
/// <param name="SubsequenceNumber">The position inside a KPL aggregate, if any.</param>
public sealed record TransformInput(
    string RecordId,
    DateTimeOffset ApproximateArrival,
    ReadOnlyMemory<byte> Data,
    string? PartitionKey = null,
    string? ShardId = null,
    string? SequenceNumber = null,
    long? SubsequenceNumber = null);

/// <summary>The three results of Firehose's transformation contract.</summary>
public enum TransformResult
{
    /// <summary>Transformed: deliver <see cref="TransformOutput.Data"/>.</summary>
    Ok,

    /// <summary>Intentionally dropped: deliver nothing.</summary>
    Dropped,

    /// <summary>Could not be transformed: deliver the original under the error prefix (<c>processing-failed</c>).</summary>
    ProcessingFailed,
}

/// <summary>What a transformation made of one record.</summary>
/// <param name="RecordId">The input's record id.</param>
/// <param name="Result">Ok, Dropped or ProcessingFailed.</param>
/// <param name="Data">The transformed bytes (Ok), or the original (ProcessingFailed).</param>
/// <param name="PartitionKeys">Keys for <c>!{partitionKeyFromLambda:name}</c> prefixes, if any.</param>
/// <param name="ErrorMessage">Why the record failed, for the error output.</param>
public sealed record TransformOutput(
    string RecordId,
    TransformResult Result,
    ReadOnlyMemory<byte> Data,
    IReadOnlyDictionary<string, string>? PartitionKeys = null,
    string? ErrorMessage = null)
{
    /// <summary>A failure that keeps the original bytes.</summary>
    /// <param name="input">The record.</param>
    /// <param name="message">Why.</param>
    /// <returns>The output.</returns>
    public static TransformOutput Failed(TransformInput input, string message)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new TransformOutput(input.RecordId, TransformResult.ProcessingFailed, input.Data, null, message);
    }
}

/// <summary>
/// A Firehose-style data transformation: one output per input, in input order. Implement it in C# for
/// transforms that should not pay an extra invoke, or use <see cref="LambdaRecordTransform"/> to call an
/// existing Firehose transformation Lambda unchanged.
/// </summary>
public interface IRecordTransform
{
    /// <summary>Transforms a batch.</summary>
    /// <param name="records">The records.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>One output per record, in order.</returns>
    Task<IReadOnlyList<TransformOutput>> TransformAsync(IReadOnlyList<TransformInput> records, CancellationToken cancellationToken = default);
}
