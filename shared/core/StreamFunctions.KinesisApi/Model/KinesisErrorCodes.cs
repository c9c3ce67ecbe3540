namespace StreamFunctions.KinesisApi.Model;

/// <summary>Kinesis's error codes, as they appear on the wire (<c>__type</c>) and in PutRecords results.</summary>
public static class KinesisErrorCodes
{
    /// <summary>A shard's write or read throughput was exceeded; retry with backoff.</summary>
    public const string ProvisionedThroughputExceeded = "ProvisionedThroughputExceededException";

    /// <summary>A PutRecords entry failed inside Kinesis; retry it.</summary>
    public const string InternalFailure = "InternalFailure";

    /// <summary>The stream or shard does not exist.</summary>
    public const string ResourceNotFound = "ResourceNotFoundException";

    /// <summary>The stream is not in a state that allows the call (e.g. CREATING).</summary>
    public const string ResourceInUse = "ResourceInUseException";

    /// <summary>An argument is out of range or malformed.</summary>
    public const string InvalidArgument = "InvalidArgumentException";

    /// <summary>Too many calls or resources (e.g. shards, concurrent resharding).</summary>
    public const string LimitExceeded = "LimitExceededException";

    /// <summary>The shard iterator is older than 5 minutes.</summary>
    public const string ExpiredIterator = "ExpiredIteratorException";

    /// <summary>The ListShards token is older than 5 minutes.</summary>
    public const string ExpiredNextToken = "ExpiredNextTokenException";

    /// <summary>The caller may not perform the call.</summary>
    public const string AccessDenied = "AccessDeniedException";
}
