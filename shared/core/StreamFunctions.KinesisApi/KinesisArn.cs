namespace StreamFunctions.KinesisApi;

/// <summary>A Kinesis stream ARN: <c>arn:{partition}:kinesis:{region}:{account}:stream/{name}</c>.</summary>
/// <param name="Partition">aws, aws-cn, aws-us-gov, ...</param>
/// <param name="Region">The stream's region.</param>
/// <param name="AccountId">The owning account.</param>
/// <param name="StreamName">The stream's name.</param>
public sealed record KinesisArn(string Partition, string Region, string AccountId, string StreamName)
{
    /// <summary>The account id the emulators and the embedded log use.</summary>
    public const string LocalAccountId = "000000000000";

    /// <summary>Parses a stream ARN.</summary>
    /// <exception cref="FormatException">Not a Kinesis stream ARN.</exception>
    public static KinesisArn Parse(string arn)
    {
        ArgumentNullException.ThrowIfNull(arn);
        var parts = arn.Split(':', 6);
        if (parts.Length != 6 || parts[0] != "arn" || parts[2] != "kinesis" || !parts[5].StartsWith("stream/", StringComparison.Ordinal)
            || parts[5].Length == "stream/".Length || parts[5].IndexOf('/', "stream/".Length) >= 0)
        {
            throw new FormatException($"'{arn}' is not a Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>).");
        }

        return new KinesisArn(parts[1], parts[3], parts[4], parts[5]["stream/".Length..]);
    }

    /// <summary>The stream name of <paramref name="nameOrArn"/>: the name itself, or the name inside an ARN.</summary>
    public static string StreamNameOf(string nameOrArn) =>
        nameOrArn.StartsWith("arn:", StringComparison.Ordinal) ? Parse(nameOrArn).StreamName : nameOrArn;

    /// <inheritdoc />
    public override string ToString() => $"arn:{Partition}:kinesis:{Region}:{AccountId}:stream/{StreamName}";
}
