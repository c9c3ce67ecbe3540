namespace StreamFunctions.KinesisApi;

/// <summary>
/// Kinesis Data Streams' fixed API limits, defined once for everything that makes, checks or reproduces a request
/// (the gateway, the producers, KPL aggregation, the embedded Kinesis, the CLI). From the Kinesis API Reference:
/// PutRecords ("Each PutRecords request can support up to 500 records. Each record in the request can be as large
/// as 1 MiB, up to a limit of 5 MiB for the entire request, including partition keys"), PutRecordsRequestEntry
/// and PutRecordRequest (PartitionKey: length 1–256), GetRecords (Limit: 1–10,000; "the maximum size of data
/// that GetRecords can return is 10 MiB").
/// </summary>
/// <remarks>Sizes count data plus the partition key's UTF-8 bytes, as Kinesis does.</remarks>
public static class KinesisLimits
{
    /// <summary>Entries per PutRecords request: 500.</summary>
    public const int MaxRecordsPerRequest = 500;

    /// <summary>Bytes (data and partition keys) per PutRecords request: 5 MiB.</summary>
    public const int MaxRequestBytes = 5 * 1024 * 1024;

    /// <summary>Bytes (data and partition key) per record: 1 MiB.</summary>
    public const int MaxRecordBytes = 1024 * 1024;

    /// <summary>The longest partition key, in characters (UTF-16 code units): 256.</summary>
    public const int MaxPartitionKeyLength = 256;

    /// <summary>Records one GetRecords call returns at most (and the largest Limit it takes): 10,000.</summary>
    public const int MaxGetRecordsRecords = 10_000;

    /// <summary>Bytes one GetRecords call returns at most: 10 MiB.</summary>
    public const int MaxGetRecordsBytes = 10 * 1024 * 1024;
}
