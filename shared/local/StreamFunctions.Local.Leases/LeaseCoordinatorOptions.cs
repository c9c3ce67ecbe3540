namespace StreamFunctions.Local.Leases;

/// <summary>How a worker takes, renews and balances leases. Defaults follow KCL's.</summary>
public sealed record LeaseCoordinatorOptions
{
    /// <summary>This worker's id, written as <c>leaseOwner</c>; unique per worker.</summary>
    public required string WorkerId { get; init; }

    /// <summary>
    /// How long a lease's counter may stay unchanged, as seen by this worker, before the lease
    /// counts as expired and may be taken. Renew well within it (see <see cref="RenewInterval"/>).
    /// </summary>
    /// <value>The default value is 10 seconds (KCL's failoverTimeMillis).</value>
    public TimeSpan FailoverTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often <see cref="LeaseCoordinator.RunAsync"/> renews and takes leases.</summary>
    /// <value>The default value is one third of <see cref="FailoverTime"/> (KCL renews at about that rate).</value>
    public TimeSpan? RenewInterval { get; init; }

    /// <summary>The most leases this worker holds.</summary>
    /// <value>The default value is <see cref="int.MaxValue"/> (KCL's maxLeasesForWorker).</value>
    public int MaxLeasesForWorker { get; init; } = int.MaxValue;

    /// <summary>The most leases stolen from other workers in one round.</summary>
    /// <value>The default value is 1 (KCL's maxLeasesToStealAtOneTime).</value>
    public int MaxLeasesToStealAtOneTime { get; init; } = 1;

    /// <summary>The renew interval in effect.</summary>
    public TimeSpan EffectiveRenewInterval => RenewInterval ?? FailoverTime / 3;

    /// <summary>Throws when an option is out of range, naming it.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(WorkerId))
        {
            throw new ArgumentException("WorkerId must be set.", nameof(WorkerId));
        }

        if (FailoverTime < TimeSpan.FromMilliseconds(100) || FailoverTime > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(FailoverTime), FailoverTime, "FailoverTime must be between 100 ms and 1 hour.");
        }

        if (EffectiveRenewInterval <= TimeSpan.Zero || EffectiveRenewInterval >= FailoverTime)
        {
            throw new ArgumentOutOfRangeException(nameof(RenewInterval), RenewInterval, "RenewInterval must be above zero and below FailoverTime, or leases expire between renewals.");
        }

        if (MaxLeasesForWorker < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLeasesForWorker), MaxLeasesForWorker, "MaxLeasesForWorker must be at least 1.");
        }

        if (MaxLeasesToStealAtOneTime < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLeasesToStealAtOneTime), MaxLeasesToStealAtOneTime, "MaxLeasesToStealAtOneTime must not be negative.");
        }
    }
}
