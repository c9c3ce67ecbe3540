namespace StreamFunctions.Aws.Kinesis;

/// <summary>How the Kinesis client retries and times out. Defaults follow the AWS SDKs' "standard" retry mode.</summary>
public sealed record KinesisClientOptions
{
    /// <summary>Attempts per call, the first included.</summary>
    /// <value>The default value is 3 (the SDKs' standard mode); 1 to 10.</value>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The base of the exponential backoff: attempt n waits a random time in [0, min(MaxDelay, BaseDelay × 2^(n-1))).</summary>
    /// <value>The default value is 100 milliseconds.</value>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The cap of one backoff.</summary>
    /// <value>The default value is 20 seconds (the SDKs' standard mode).</value>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The time one attempt may take, from sending to reading the whole response.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is out of its range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (MaxAttempts is < 1 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be between 1 and 10.");
        }

        if (BaseDelay <= TimeSpan.Zero || BaseDelay > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "BaseDelay must be above zero and at most 1 minute.");
        }

        if (MaxDelay < BaseDelay || MaxDelay > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "MaxDelay must be at least BaseDelay and at most 5 minutes.");
        }

        if (AttemptTimeout <= TimeSpan.Zero || AttemptTimeout > TimeSpan.FromMinutes(15))
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), AttemptTimeout, "AttemptTimeout must be above zero and at most 15 minutes.");
        }
    }
}
