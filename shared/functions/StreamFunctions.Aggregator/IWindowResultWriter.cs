using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator;

/// <summary>
/// Where window results go. Every result carries its <see cref="WindowResult.ResultKey"/>: a table writes by it
/// (writing a result again overwrites it), objects are named by the batch that produced them (a retried batch
/// rewrites the same object), and stream records are keyed by it (consumers upsert).
/// </summary>
public interface IWindowResultWriter
{
    /// <summary>Writes one batch's results.</summary>
    /// <param name="batchId">The batch that produced them (<c>shard-firstSequence-lastSequence</c>, or the shard and
    /// window of a Lambda tumbling window): the same batch, retried, has the same id.</param>
    /// <param name="results">The results, in firing order.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task that completes when they are durable.</returns>
    Task WriteAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default);
}
