namespace StreamFunctions.BatchProcessing;

/// <summary>How a batch is processed.</summary>
public sealed record BatchProcessorOptions
{
    /// <summary>
    /// Attempts per record within one invocation for retryable errors, the first included. When they run
    /// out the record is poison (<c>RetryBudgetExhausted</c>) and is archived, so one record cannot stall a shard.
    /// </summary>
    /// <value>The default value is 3; 1 to 20.</value>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The first retry's delay; each next one doubles it, with full jitter.</summary>
    /// <value>The default value is 50 milliseconds.</value>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How many partition keys are processed at once; order is kept within a key.</summary>
    /// <value>The default value is 1 (the whole batch in order).</value>
    public int MaxDegreeOfParallelism { get; init; } = 1;

    /// <summary>The function version written into archived poison records.</summary>
    public string? FunctionVersion { get; init; }

    /// <summary>Throws when an option is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (MaxAttempts is < 1 or > 20)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be between 1 and 20.");
        }

        if (RetryBaseDelay < TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(RetryBaseDelay), RetryBaseDelay, "RetryBaseDelay must be between 0 and 10 seconds.");
        }

        if (MaxDegreeOfParallelism is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "MaxDegreeOfParallelism must be between 1 and 256.");
        }
    }
}
