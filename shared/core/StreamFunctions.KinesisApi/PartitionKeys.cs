namespace StreamFunctions.KinesisApi;

/// <summary>What is wrong with a partition key for Kinesis.</summary>
public enum PartitionKeyProblem
{
    /// <summary>Nothing: Kinesis takes it.</summary>
    None,

    /// <summary>There is none.</summary>
    Missing,

    /// <summary>Empty, or longer than <see cref="PartitionKeys.MaxLength"/> characters.</summary>
    Length,

    /// <summary>A lone surrogate: the key has no UTF-8 form to send.</summary>
    Unicode,
}

/// <summary>
/// Kinesis's rule for a partition key (PutRecordsRequestEntry.PartitionKey: "Unicode strings with a maximum length
/// limit of 256 characters", length 1–256): 1 to 256 characters, counted as UTF-16 code units as Kinesis counts them,
/// and valid Unicode. The one check of a partition key the platform accepts or makes (gateway, producers, router);
/// what a record weighs counts the key's UTF-8 bytes instead.
/// </summary>
public static class PartitionKeys
{
    /// <summary>The longest partition key, in characters (Kinesis: 256).</summary>
    public const int MaxLength = KinesisLimits.MaxPartitionKeyLength;

    /// <summary>What is wrong with a partition key, if anything.</summary>
    /// <param name="key">The key, or null.</param>
    /// <returns>The problem, or <see cref="PartitionKeyProblem.None"/>.</returns>
    public static PartitionKeyProblem Check(string? key)
    {
        if (key is null)
        {
            return PartitionKeyProblem.Missing;
        }

        if (key.Length is 0 or > MaxLength)
        {
            return PartitionKeyProblem.Length;
        }

        for (var i = 0; i < key.Length; i++)
        {
            if (char.IsHighSurrogate(key[i]) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(key[i]))
            {
                return PartitionKeyProblem.Unicode;
            }
        }

        return PartitionKeyProblem.None;
    }

    /// <summary>A problem, for a person: e.g. <c>the partition key has 257 characters; Kinesis takes 1 to 256</c>.</summary>
    /// <param name="problem">The problem <see cref="Check"/> found.</param>
    /// <param name="key">The key.</param>
    /// <returns>The description, without a final stop.</returns>
    public static string Describe(PartitionKeyProblem problem, string? key) => problem switch
    {
        PartitionKeyProblem.Missing => "there is no partition key",
        PartitionKeyProblem.Length => $"the partition key has {key?.Length ?? 0} characters; Kinesis takes 1 to {MaxLength}",
        PartitionKeyProblem.Unicode => "the partition key is not valid Unicode (a lone surrogate)",
        _ => "the partition key is one Kinesis takes",
    };
}
