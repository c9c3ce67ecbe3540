using StreamFunctions.Local.Leases.Exceptions;

namespace StreamFunctions.Local.Leases;

/// <summary>
/// One worker's side of KCL's lease protocol: renews the leases it holds, takes free and expired
/// leases, steals from the most loaded worker until the load is even (⌈leases / workers⌉ each),
/// and writes checkpoints fenced by the lease counter, so a worker that lost a lease cannot
/// checkpoint it. Expiry is judged as KCL does: by how long this worker has seen a lease's counter
/// unchanged, never by comparing clocks across machines.
/// </summary>
public sealed class LeaseCoordinator : IDisposable
{
    private readonly LeaseTable _table;
    private readonly LeaseCoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, HeldLease> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Counter, DateTimeOffset SeenAt)> _observed = new(StringComparer.Ordinal);

    /// <summary>Creates the coordinator.</summary>
    /// <param name="table">The lease table.</param>
    /// <param name="options">Worker id and timings.</param>
    /// <param name="time">The clock.</param>
    /// <param name="random">Shuffles which leases are taken or stolen; a shared one when null.</param>
    public LeaseCoordinator(LeaseTable table, LeaseCoordinatorOptions options, TimeProvider? time = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _table = table;
        _options = options;
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
    }

    /// <summary>This worker's id.</summary>
    public string WorkerId => _options.WorkerId;

    /// <summary>The table.</summary>
    public LeaseTable Table => _table;

    /// <summary>How often a round (renew, then take) should run: <see cref="LeaseCoordinatorOptions.EffectiveRenewInterval"/>.</summary>
    public TimeSpan RenewInterval => _options.EffectiveRenewInterval;

    /// <summary>The leases this worker holds and has renewed within the failover time, by key.</summary>
    public IReadOnlyList<Lease> HeldLeases
    {
        get
        {
            var now = _time.GetUtcNow();
            lock (_held)
            {
                return [.. _held.Values.Where(h => now - h.RenewedAt < _options.FailoverTime).Select(h => h.Lease).OrderBy(l => l.LeaseKey, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Whether this worker holds a lease (renewed within the failover time).</summary>
    /// <param name="leaseKey">The lease key.</param>
    /// <returns>True when held.</returns>
    public bool Holds(string leaseKey) => HeldLeases.Any(l => l.LeaseKey == leaseKey);

    /// <summary>Renews every held lease; drops those that were lost.</summary>
    /// <param name="cancellationToken">Cancels the round.</param>
    /// <returns>The keys of the leases lost in this round.</returns>
    public async Task<IReadOnlyList<string>> RenewAsync(CancellationToken cancellationToken = default)
    {
        var lost = new List<string>();
        foreach (var held in Snapshot())
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var current = Current(held.LeaseKey);
                if (current is null)
                {
                    continue;
                }

                var renewed = await _table.RenewAsync(current, cancellationToken).ConfigureAwait(false);
                if (renewed is null)
                {
                    Drop(held.LeaseKey);
                    lost.Add(held.LeaseKey);
                }
                else
                {
                    Hold(renewed);
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        return lost;
    }

    /// <summary>
    /// Reads the table and takes leases towards this worker's fair share: expired or free ones
    /// first, else steals from the most loaded worker (at most <see cref="LeaseCoordinatorOptions.MaxLeasesToStealAtOneTime"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the round.</param>
    /// <returns>The leases taken in this round.</returns>
    public async Task<IReadOnlyList<Lease>> TakeAsync(CancellationToken cancellationToken = default)
    {
        var all = await _table.ListAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var expired = new List<Lease>();
        foreach (var lease in all)
        {
            if (!_observed.TryGetValue(lease.LeaseKey, out var seen) || seen.Counter != lease.LeaseCounter)
            {
                _observed[lease.LeaseKey] = seen = (lease.LeaseCounter, now);
            }

            if (lease.IsFinished)
            {
                continue;
            }

            // Free, expired, or recorded as ours but not held (this worker restarted): takeable.
            if (lease.LeaseOwner is null
                || (lease.LeaseOwner != WorkerId && now - seen.SeenAt > _options.FailoverTime)
                || (lease.LeaseOwner == WorkerId && Current(lease.LeaseKey) is null))
            {
                expired.Add(lease);
            }
        }

        foreach (var key in _observed.Keys.Except(all.Select(l => l.LeaseKey)).ToList())
        {
            _observed.Remove(key);
        }

        var active = all.Where(l => !l.IsFinished).ToList();
        var counts = active
            .Where(l => l.LeaseOwner is not null && !expired.Contains(l))
            .GroupBy(l => l.LeaseOwner!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var mine = counts.GetValueOrDefault(WorkerId);
        counts[WorkerId] = mine;
        var target = Math.Min(_options.MaxLeasesForWorker, (active.Count + counts.Count - 1) / counts.Count);
        var needed = target - mine;
        if (needed <= 0)
        {
            return [];
        }

        List<Lease> candidates;
        if (expired.Count > 0)
        {
            candidates = [.. Shuffle(expired).Take(needed)];
        }
        else
        {
            var (loadedWorker, loadedCount) = counts.Where(c => c.Key != WorkerId).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).FirstOrDefault();
            var steal = 0;
            if (loadedWorker is not null && loadedCount >= target)
            {
                var over = loadedCount - target;
                steal = needed > 1 && over == 0 ? 1 : Math.Min(needed, over);
                steal = Math.Min(steal, _options.MaxLeasesToStealAtOneTime);
            }

            candidates = [.. Shuffle(active.Where(l => l.LeaseOwner == loadedWorker)).Take(steal)];
        }

        var taken = new List<Lease>();
        foreach (var candidate in candidates)
        {
            var lease = await _table.TakeAsync(candidate, WorkerId, cancellationToken).ConfigureAwait(false);
            if (lease is not null)
            {
                _observed[lease.LeaseKey] = (lease.LeaseCounter, now);
                Hold(lease);
                taken.Add(lease);
            }
        }

        return taken;
    }

    /// <summary>One round: renew, then take.</summary>
    /// <param name="cancellationToken">Cancels the round.</param>
    /// <returns>A task that completes after the round.</returns>
    public async Task RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await RenewAsync(cancellationToken).ConfigureAwait(false);
        await TakeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs rounds every <see cref="LeaseCoordinatorOptions.EffectiveRenewInterval"/> until cancelled.</summary>
    /// <param name="cancellationToken">Stops the loop.</param>
    /// <returns>A task that completes when cancelled.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.EffectiveRenewInterval, _time);
        do
        {
            await RunOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Checkpoints a held lease, fenced by its counter and owner. Refuses a checkpoint that moves
    /// backwards. On a lost lease nothing is written and the lease is dropped.
    /// </summary>
    /// <param name="leaseKey">The lease (shard).</param>
    /// <param name="checkpoint">The last processed record's sequence number, or SHARD_END.</param>
    /// <param name="childShardIds">At SHARD_END: the shard's children (recorded in the lease).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The updated lease.</returns>
    /// <exception cref="LeaseLostException">This worker does not hold the lease (any more).</exception>
    /// <exception cref="InvalidCheckpointException">The checkpoint is malformed or moves backwards.</exception>
    public async Task<Lease> CheckpointAsync(string leaseKey, ExtendedSequenceNumber checkpoint, IReadOnlyList<string>? childShardIds = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseKey);
        if (!ExtendedSequenceNumber.IsValid(checkpoint))
        {
            throw new InvalidCheckpointException(leaseKey, $"Checkpoint '{checkpoint}' for lease {leaseKey} is neither a sequence number nor a KCL sentinel.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var held = Current(leaseKey)
                ?? throw new LeaseLostException(leaseKey, $"Worker {WorkerId} does not hold lease {leaseKey}: not checkpointing {checkpoint}.");
            if (_time.GetUtcNow() - _held[leaseKey].RenewedAt >= _options.FailoverTime)
            {
                Drop(leaseKey);
                throw new LeaseLostException(leaseKey, $"Worker {WorkerId}'s lease {leaseKey} was not renewed within {_options.FailoverTime}: another worker may hold it; not checkpointing {checkpoint}.");
            }

            if (checkpoint < held.Checkpoint)
            {
                throw new InvalidCheckpointException(leaseKey, $"Checkpoint {checkpoint} for lease {leaseKey} is before its current checkpoint {held.Checkpoint}: checkpoints never move backwards.");
            }

            var updated = await _table.CheckpointAsync(held, checkpoint, childShardIds ?? [], cancellationToken).ConfigureAwait(false);
            if (updated is null)
            {
                Drop(leaseKey);
                throw new LeaseLostException(leaseKey, $"Worker {WorkerId} lost lease {leaseKey} (its counter or owner changed since counter {held.LeaseCounter}): checkpoint {checkpoint} not written.");
            }

            Hold(updated);
            return updated;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Whether a lease's shard may be processed: every parent shard's lease is finished (SHARD_END)
    /// or gone from the table, so a child never runs ahead of its parent after a split or merge.
    /// </summary>
    /// <param name="lease">The lease.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>True when every parent is finished.</returns>
    public async Task<bool> ParentsFinishedAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        foreach (var parent in lease.ParentShardIds)
        {
            var parentLease = await _table.GetAsync(parent, cancellationToken).ConfigureAwait(false);
            if (parentLease is not null && !parentLease.IsFinished)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Gives up every held lease (graceful shutdown) so other workers take them without waiting for expiry.</summary>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>A task that completes when released.</returns>
    public async Task ReleaseAllAsync(CancellationToken cancellationToken = default)
    {
        foreach (var held in Snapshot())
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Current(held.LeaseKey) is { } current)
                {
                    await _table.EvictAsync(current, cancellationToken).ConfigureAwait(false);
                    Drop(held.LeaseKey);
                }
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    private List<Lease> Snapshot()
    {
        lock (_held)
        {
            return [.. _held.Values.Select(h => h.Lease)];
        }
    }

    private Lease? Current(string leaseKey)
    {
        lock (_held)
        {
            return _held.TryGetValue(leaseKey, out var held) ? held.Lease : null;
        }
    }

    private void Hold(Lease lease)
    {
        lock (_held)
        {
            _held[lease.LeaseKey] = new HeldLease(lease, _time.GetUtcNow());
        }
    }

    private void Drop(string leaseKey)
    {
        lock (_held)
        {
            _held.Remove(leaseKey);
        }
    }

    private List<Lease> Shuffle(IEnumerable<Lease> leases)
    {
        var list = leases.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }

    private sealed record HeldLease(Lease Lease, DateTimeOffset RenewedAt);
}
