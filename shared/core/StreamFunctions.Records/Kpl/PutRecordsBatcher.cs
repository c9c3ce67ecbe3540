using StreamFunctions.KinesisApi;
using System.Text;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Records.Kpl;

/// <summary>How <see cref="PutRecordsBatcher"/> cuts records into PutRecords requests.</summary>
public sealed class PutRecordsBatcherOptions
{
    /// <summary>Kinesis's limit on records per PutRecords request.</summary>
    public const int KinesisMaxRecords = KinesisLimits.MaxRecordsPerRequest;

    /// <summary>Kinesis's limit on a PutRecords request: 5 MiB of data and partition keys.</summary>
    public const int KinesisMaxRequestSize = KinesisLimits.MaxRequestBytes;

    /// <summary>The most records in one request.</summary>
    /// <value>The default is 500, Kinesis's limit; allowed 1–500.</value>
    public int MaxRecordsPerRequest { get; init; } = KinesisMaxRecords;

    /// <summary>The most bytes in one request, counted as Kinesis counts them: data plus UTF-8 partition keys.</summary>
    /// <value>The default is 5,242,880 (5 MiB), Kinesis's limit; allowed 1,048,576–5,242,880.</value>
    public int MaxRequestSize { get; init; } = KinesisMaxRequestSize;

    /// <summary>Checks every option.</summary>
    /// <exception cref="StorageOptionsException">An option is out of range; the message names it.</exception>
    public PutRecordsBatcherOptions Validate()
    {
        if (MaxRecordsPerRequest is < 1 or > KinesisMaxRecords)
        {
            throw new StorageOptionsException($"{nameof(PutRecordsBatcherOptions)}.{nameof(MaxRecordsPerRequest)}", $"{MaxRecordsPerRequest} is outside the allowed 1–{KinesisMaxRecords}.");
        }

        if (MaxRequestSize is < KplFormat.MaxKinesisRecordSize or > KinesisMaxRequestSize)
        {
            throw new StorageOptionsException($"{nameof(PutRecordsBatcherOptions)}.{nameof(MaxRequestSize)}", $"{MaxRequestSize} is outside the allowed {KplFormat.MaxKinesisRecordSize}–{KinesisMaxRequestSize} bytes.");
        }

        return this;
    }
}

/// <summary>
/// Collects Kinesis records (aggregated or not) into PutRecords requests within Kinesis's limits: at
/// most 500 records and 5 MiB (data plus partition keys) a request, 1 MiB a record.
/// </summary>
/// <remarks>Not thread-safe. Entries are kept by reference: keep their data alive until the request is sent.</remarks>
public sealed class PutRecordsBatcher
{
    private readonly int _maxRecords;
    private readonly int _maxSize;
    private List<PutRecordsRequestEntry> _entries = [];
    private long _added;

    /// <summary>Creates a batcher.</summary>
    /// <param name="options">The limits; the defaults are Kinesis's.</param>
    /// <exception cref="StorageOptionsException">An option is out of range.</exception>
    public PutRecordsBatcher(PutRecordsBatcherOptions? options = null)
    {
        options = (options ?? new PutRecordsBatcherOptions()).Validate();
        _maxRecords = options.MaxRecordsPerRequest;
        _maxSize = options.MaxRequestSize;
    }

    /// <summary>How many records the current request holds.</summary>
    public int Count => _entries.Count;

    /// <summary>The current request's size as Kinesis counts it.</summary>
    public long SizeBytes { get; private set; }

    /// <summary>Adds a record to the current request; false, changing nothing, when the request is full (call <see cref="Drain"/>, then add it again).</summary>
    /// <param name="entry">The record.</param>
    /// <exception cref="InvalidUserRecordException">The partition key is empty or longer than 256 characters, or the record exceeds 1 MiB.</exception>
    public bool TryAdd(PutRecordsRequestEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var index = _added;
        KplAggregator.CheckPartitionKey(entry.PartitionKey, index, out var keyBytes);
        var size = (long)entry.Data.Length + keyBytes;
        if (size > KplFormat.MaxKinesisRecordSize)
        {
            throw new InvalidUserRecordException(
                $"Record {index} is too large: its partition key ({keyBytes} bytes) and data ({entry.Data.Length} bytes) exceed {KplFormat.MaxKinesisRecordSize} bytes, the most a Kinesis record may hold.",
                index);
        }

        if (_entries.Count >= _maxRecords || SizeBytes + size > _maxSize)
        {
            return false;
        }

        _entries.Add(entry);
        SizeBytes += size;
        _added++;
        return true;
    }

    /// <summary>Adds an aggregate (see <see cref="TryAdd(PutRecordsRequestEntry)"/>).</summary>
    public bool TryAdd(KinesisAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        return TryAdd(aggregate.ToPutRecordsRequestEntry());
    }

    /// <summary>The current request's records, in the order added; the batcher starts a new request.</summary>
    public IReadOnlyList<PutRecordsRequestEntry> Drain()
    {
        var entries = _entries;
        _entries = [];
        SizeBytes = 0;
        return entries;
    }

    /// <summary>The size Kinesis counts for a record: data plus UTF-8 partition key.</summary>
    public static long SizeOf(PutRecordsRequestEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Data.Length + (long)Encoding.UTF8.GetByteCount(entry.PartitionKey);
    }
}
