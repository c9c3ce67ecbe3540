namespace StreamFunctions.Aggregator;

/// <summary>Where tumbling-window state too large for Lambda's 1 MB window state is kept, by content id.</summary>
public interface ISnapshotSpill
{
    /// <summary>Stores a snapshot (idempotent: the same id holds the same bytes).</summary>
    /// <param name="id">The id.</param>
    /// <param name="snapshot">The bytes.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task PutAsync(string id, byte[] snapshot, CancellationToken cancellationToken = default);

    /// <summary>Reads a snapshot.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="InvalidDataException">There is none under that id.</exception>
    Task<byte[]> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes a snapshot no state refers to any more (absent is fine).</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}
