using System.Collections.Concurrent;
using StreamFunctions.Producers;

namespace StreamFunctions.Gateway;

/// <summary>An <see cref="IIdempotencyStore"/> in memory, for one process (the local pipeline and tests).</summary>
/// <param name="window">How long a written key is remembered.</param>
/// <param name="time">The clock.</param>
public sealed class InMemoryIdempotencyStore(TimeSpan window, TimeProvider? time = null) : IIdempotencyStore
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public Task<IdempotencyClaim> ClaimAsync(string key, string payloadHash, TimeSpan inProgressTimeout, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var token = Guid.NewGuid().ToString("N");
        var mine = new Entry(token, payloadHash, null, now + inProgressTimeout);
        while (true)
        {
            if (_entries.TryAdd(key, mine))
            {
                return Task.FromResult(new IdempotencyClaim(key, IdempotencyStatus.Claimed, token, null));
            }

            if (!_entries.TryGetValue(key, out var existing))
            {
                continue;
            }

            if (existing.ExpiresAt <= now)
            {
                if (_entries.TryUpdate(key, mine, existing))
                {
                    return Task.FromResult(new IdempotencyClaim(key, IdempotencyStatus.Claimed, token, null));
                }

                continue;
            }

            return Task.FromResult(existing.Result is null
                ? new IdempotencyClaim(key, IdempotencyStatus.InProgress, null, null)
                : existing.PayloadHash == payloadHash
                    ? new IdempotencyClaim(key, IdempotencyStatus.Completed, null, existing.Result)
                    : new IdempotencyClaim(key, IdempotencyStatus.PayloadMismatch, null, null));
        }
    }

    /// <inheritdoc />
    public Task CompleteAsync(IdempotencyClaim claim, ProduceResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (_entries.TryGetValue(claim.Key, out var existing) && existing.Token == claim.Token)
        {
            _entries.TryUpdate(claim.Key, existing with { Result = result, ExpiresAt = _time.GetUtcNow() + window }, existing);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ReleaseAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (_entries.TryGetValue(claim.Key, out var existing) && existing.Token == claim.Token)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(claim.Key, existing));
        }

        return Task.CompletedTask;
    }

    private sealed record Entry(string Token, string PayloadHash, ProduceResult? Result, DateTimeOffset ExpiresAt);
}
