using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Records.Kpl;

/// <summary>How <see cref="KplAggregator"/> packs user records into Kinesis records.</summary>
public sealed class KplAggregatorOptions
{
    /// <summary>The smallest aggregate size the KPL allows (its <c>AggregationMaxSize</c> minimum).</summary>
    public const int MinAggregateSize = 64;

    /// <summary>
    /// The largest Kinesis record an aggregate may make, counted as Kinesis does: data (magic number,
    /// protobuf, MD5) plus the UTF-8 partition key.
    /// </summary>
    /// <value>The default is 1,048,576 bytes (1 MiB), Kinesis's limit; allowed 64–1,048,576. The KPL's own default is 51,200.</value>
    public int MaxAggregateSize { get; init; } = KplFormat.MaxKinesisRecordSize;

    /// <summary>The most user records in one aggregate.</summary>
    /// <value>The default is <see cref="int.MaxValue"/> (no limit but the size); allowed 1 or more.</value>
    public int MaxUserRecordsPerAggregate { get; init; } = int.MaxValue;

    /// <summary>Checks every option.</summary>
    /// <exception cref="StorageOptionsException">An option is out of range; the message names it.</exception>
    public KplAggregatorOptions Validate()
    {
        if (MaxAggregateSize is < MinAggregateSize or > KplFormat.MaxKinesisRecordSize)
        {
            throw new StorageOptionsException($"{nameof(KplAggregatorOptions)}.{nameof(MaxAggregateSize)}", $"{MaxAggregateSize} is outside the allowed {MinAggregateSize}–{KplFormat.MaxKinesisRecordSize} bytes.");
        }

        if (MaxUserRecordsPerAggregate < 1)
        {
            throw new StorageOptionsException($"{nameof(KplAggregatorOptions)}.{nameof(MaxUserRecordsPerAggregate)}", $"{MaxUserRecordsPerAggregate} is less than 1.");
        }

        return this;
    }
}
