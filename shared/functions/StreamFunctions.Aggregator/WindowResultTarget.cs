namespace StreamFunctions.Aggregator;

/// <summary>The kind of place results go.</summary>
public enum WindowResultTargetKind
{
    /// <summary>A DynamoDB table, by result key.</summary>
    DynamoDb,

    /// <summary>S3 objects under a prefix.</summary>
    S3,

    /// <summary>A Kinesis stream.</summary>
    Kinesis,

    /// <summary>A Kafka topic.</summary>
    Kafka,
}

/// <summary>
/// Where results go, written as <c>dynamodb:&lt;table&gt;</c>, <c>s3://&lt;bucket&gt;/&lt;prefix&gt;</c>, <c>kinesis:&lt;stream&gt;</c> or
/// <c>kafka:&lt;topic&gt;</c> (the destinations' spelling of the router's rules).
/// </summary>
/// <param name="Kind">The kind.</param>
/// <param name="Name">The table, bucket, stream or topic.</param>
/// <param name="Prefix">S3: the key prefix (empty, or ending in <c>/</c>).</param>
public sealed record WindowResultTarget(WindowResultTargetKind Kind, string Name, string Prefix = "")
{
    /// <summary>Reads a target.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The target.</returns>
    /// <exception cref="FormatException">Not one of the forms.</exception>
    public static WindowResultTarget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim();
        if (value.StartsWith("s3://", StringComparison.Ordinal))
        {
            var rest = value["s3://".Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var bucket = slash < 0 ? rest : rest[..slash];
            var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..];
            if (bucket.Length == 0)
            {
                throw new FormatException($"The results target '{text}' names no bucket: write s3://<bucket>/<prefix>.");
            }

            return new WindowResultTarget(WindowResultTargetKind.S3, bucket, prefix.Length == 0 || prefix.EndsWith('/') ? prefix : prefix + "/");
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? string.Empty : value[(colon + 1)..];
        var kind = colon < 0 ? null : value[..colon].ToUpperInvariant() switch
        {
            "DYNAMODB" => WindowResultTargetKind.DynamoDb,
            "KINESIS" => WindowResultTargetKind.Kinesis,
            "KAFKA" => (WindowResultTargetKind?)WindowResultTargetKind.Kafka,
            _ => null,
        };
        if (kind is null || name.Length == 0)
        {
            throw new FormatException($"The results target '{text}' is not dynamodb:<table>, s3://<bucket>/<prefix>, kinesis:<stream> or kafka:<topic>.");
        }

        return new WindowResultTarget(kind.Value, name);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        WindowResultTargetKind.S3 => $"s3://{Name}/{Prefix}",
        _ => $"{Kind.ToString().ToLowerInvariant()}:{Name}",
    };
}
