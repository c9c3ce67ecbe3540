using StreamFunctions.Producers;

namespace StreamFunctions.Gateway;

/// <summary>What a claim on an idempotency key found.</summary>
public enum IdempotencyStatus
{
    /// <summary>The key is new (or its record expired): this request owns it and writes the record.</summary>
    Claimed,

    /// <summary>The record was written before: <see cref="IdempotencyClaim.Result"/> is the original result.</summary>
    Completed,

    /// <summary>Another request holds the key and has not finished; retry later.</summary>
    InProgress,

    /// <summary>The key was used before for different data.</summary>
    PayloadMismatch,
}

/// <summary>The outcome of claiming an idempotency key.</summary>
/// <param name="Key">The stored key (destination and caller's key).</param>
/// <param name="Status">What was found.</param>
/// <param name="Token">This claim's token (to complete or release it), when <see cref="IdempotencyStatus.Claimed"/>.</param>
/// <param name="Result">The original result, when <see cref="IdempotencyStatus.Completed"/>.</param>
public sealed record IdempotencyClaim(string Key, IdempotencyStatus Status, string? Token, ProduceResult? Result);

/// <summary>
/// Remembers which idempotency keys were written, for how long, and with what result. A key is claimed
/// before its record is written (so two concurrent requests cannot both write it), completed with the result
/// once written, and released if the write failed (so a retry can write it). A claim whose request died is
/// taken over once its in-progress timeout passes.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>Claims a key, or finds what holds it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="payloadHash">A hash of the record (data and keys), to tell a retry from a reuse of the key.</param>
    /// <param name="inProgressTimeout">How long the claim blocks others if it is never completed or released.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The claim.</returns>
    Task<IdempotencyClaim> ClaimAsync(string key, string payloadHash, TimeSpan inProgressTimeout, CancellationToken cancellationToken = default);

    /// <summary>Records the result of a claimed key; it is remembered for the store's window.</summary>
    /// <param name="claim">The claim.</param>
    /// <param name="result">The record's result.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when stored.</returns>
    Task CompleteAsync(IdempotencyClaim claim, ProduceResult result, CancellationToken cancellationToken = default);

    /// <summary>Gives a claimed key up (its record was not written).</summary>
    /// <param name="claim">The claim.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when released.</returns>
    Task ReleaseAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default);
}
