namespace StreamFunctions.Sink.Buffer;

/// <summary>Where the sink keeps each shard's state.</summary>
public interface ISinkStateStore
{
    /// <summary>Reads a shard's state (a fresh state at version 0 when there is none).</summary>
    /// <param name="stream">The stream or topic.</param>
    /// <param name="shard">The shard or partition.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The state.</returns>
    Task<SinkShardState> LoadAsync(string stream, string shard, CancellationToken cancellationToken = default);

    /// <summary>Writes a state if nobody wrote it since it was read, and advances its version.</summary>
    /// <param name="state">The state.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    /// <exception cref="SinkStateConflictException">It was written in between.</exception>
    Task CommitAsync(SinkShardState state, CancellationToken cancellationToken = default);

    /// <summary>Every shard with state, as (stream, shard).</summary>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The shards.</returns>
    IAsyncEnumerable<(string Stream, string Shard)> ShardsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// How many bytes a state takes in this store. The sink compares it with <see cref="S3SinkOptions.StateFlushBytes"/>
    /// and, over it, delivers partitions early, so that a state stays within the store's limit on one state.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <returns>Bytes.</returns>
    int SizeOf(SinkShardState state);
}
