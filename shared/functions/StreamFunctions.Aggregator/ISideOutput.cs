namespace StreamFunctions.Aggregator;

/// <summary>Records the aggregation did not count: later than the allowed lateness, or unreadable.</summary>
public interface ISideOutput
{
    /// <summary>Writes one batch's side records (JSON lines) under a key derived from the batch, so a redelivery overwrites.</summary>
    /// <param name="aggregation">The aggregation.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="firstSequence">The batch's first sequence number.</param>
    /// <param name="lastSequence">Its last.</param>
    /// <param name="jsonLines">The records.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>Where they went.</returns>
    Task<string> WriteAsync(string aggregation, string shard, string firstSequence, string lastSequence, ReadOnlyMemory<byte> jsonLines, CancellationToken cancellationToken = default);
}
