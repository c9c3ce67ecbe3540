namespace StreamFunctions.Local.Lambda;

/// <summary>The configuration of a locally run function, with Lambda's defaults.</summary>
public sealed record LocalFunctionOptions
{
    /// <summary>The function's name.</summary>
    /// <value>The default value is <c>function</c>.</value>
    public string FunctionName { get; init; } = "function";

    /// <summary>The function timeout.</summary>
    /// <value>The default value is 3 seconds (Lambda's default); 1 second to 15 minutes.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The memory setting reported to the function.</summary>
    /// <value>The default value is 128 MB; 128 to 10,240.</value>
    public int MemoryMb { get; init; } = 128;

    /// <summary>The region in the function ARN.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The account in the function ARN.</summary>
    public string AccountId { get; init; } = "000000000000";

    /// <summary>Extra environment variables for the function process.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Throws when an option is out of range, naming it.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(FunctionName))
        {
            throw new ArgumentException("FunctionName must be set.", nameof(FunctionName));
        }

        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromMinutes(15))
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "Timeout must be between 100 ms (tests) and 15 minutes.");
        }

        if (MemoryMb is < 128 or > 10_240)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryMb), MemoryMb, "MemoryMb must be between 128 and 10,240.");
        }
    }
}
