using StreamFunctions.KinesisApi;
using StreamFunctions.Local.EventSourceMapping.Exceptions;

namespace StreamFunctions.Local.EventSourceMapping;

/// <summary>
/// A Kinesis event source mapping: the stream, the function and Lambda's
/// <c>CreateEventSourceMapping</c> parameters for Kinesis, with Lambda's defaults and ranges.
/// <see cref="Validate"/> names the option and its range when a value is out of it.
/// </summary>
public sealed class KinesisEventSourceOptions
{
    /// <summary>Lambda's largest event payload (6 MB, synchronous invocation).</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    /// <summary>The stream's name or ARN (<c>EventSourceArn</c>). Required.</summary>
    public string StreamName { get; set; } = "";

    /// <summary>The ARN of the function, written into on-failure records (<c>requestContext.functionArn</c>).</summary>
    /// <value>The default is a local placeholder, <c>arn:aws:lambda:us-east-1:000000000000:function:local</c>.</value>
    public string FunctionArn { get; set; } = "arn:aws:lambda:us-east-1:000000000000:function:local";

    /// <summary>The mapping's id (Lambda's <c>UUID</c>): part of the S3 on-failure object key.</summary>
    /// <value>The default is a new random id.</value>
    public Guid MappingId { get; set; } = Guid.NewGuid();

    /// <summary>The IAM role ARN written into each record's <c>invokeIdentityArn</c>.</summary>
    /// <value>The default is <c>arn:aws:iam::000000000000:role/lambda-role</c>.</value>
    public string InvokeIdentityArn { get; set; } = "arn:aws:iam::000000000000:role/lambda-role";

    /// <summary>The largest number of records in one invocation (<c>BatchSize</c>).</summary>
    /// <value>The default is 100; 1 to 10,000.</value>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long to gather records before invoking with a batch smaller than <see cref="BatchSize"/> (<c>MaximumBatchingWindowInSeconds</c>).</summary>
    /// <value>The default is 0 (invoke as soon as records are read); 0 to 300 seconds.</value>
    public int MaximumBatchingWindowInSeconds { get; set; }

    /// <summary>Where shards without a checkpoint start (<c>StartingPosition</c>).</summary>
    /// <value>The default is <see cref="StartingPosition.TrimHorizon"/> (Lambda requires a value; this runner picks the one that loses nothing).</value>
    public StartingPosition StartingPosition { get; set; } = StartingPosition.TrimHorizon;

    /// <summary>For <see cref="StartingPosition.AtTimestamp"/>: the time to start at (<c>StartingPositionTimestamp</c>). Required then, not allowed otherwise.</summary>
    public DateTimeOffset? StartingPositionTimestamp { get; set; }

    /// <summary>
    /// How many batches of one shard may be in flight at once (<c>ParallelizationFactor</c>).
    /// Records of one partition key always go to the same lane, so they are processed in order and
    /// never in two in-flight batches.
    /// </summary>
    /// <value>The default is 1; 1 to 10.</value>
    public int ParallelizationFactor { get; set; } = 1;

    /// <summary>
    /// <c>FunctionResponseTypes: [ReportBatchItemFailures]</c>: the function returns
    /// <c>{"batchItemFailures":[{"itemIdentifier":"&lt;sequence number&gt;"}]}</c>; Lambda checkpoints
    /// just before the lowest failed sequence number and retries from it. An empty or null list means
    /// success; a null, empty or unknown identifier fails the whole batch.
    /// </summary>
    /// <value>The default is false: any successful response means the whole batch succeeded.</value>
    public bool ReportBatchItemFailures { get; set; }

    /// <summary>
    /// Split a failing batch in two and retry each half (<c>BisectBatchOnFunctionError</c>); splitting
    /// does not use up retries. With <see cref="ReportBatchItemFailures"/>, a partial failure is split at
    /// the lowest returned sequence number instead.
    /// </summary>
    /// <value>The default is false.</value>
    public bool BisectBatchOnFunctionError { get; set; }

    /// <summary>How many times a failing batch is retried before it is discarded to the on-failure destination (<c>MaximumRetryAttempts</c>).</summary>
    /// <value>The default is -1 (retry until the records expire); -1 to 10,000.</value>
    public int MaximumRetryAttempts { get; set; } = -1;

    /// <summary>Records older than this are not sent to the function but to the on-failure destination (<c>MaximumRecordAgeInSeconds</c>).</summary>
    /// <value>The default is -1 (no limit); -1, or 60 to 604,800 on AWS (this runner also accepts 1 to 59 so tests stay short).</value>
    public int MaximumRecordAgeInSeconds { get; set; } = -1;

    /// <summary>The length of tumbling windows; state is passed between the invocations of one window of one shard (<c>TumblingWindowInSeconds</c>).</summary>
    /// <value>The default is 0 (no windows); 0 to 900 seconds.</value>
    public int TumblingWindowInSeconds { get; set; }

    /// <summary>How long <see cref="KinesisEventSourceMapping.RunAsync"/> waits after a poll that found nothing (Lambda polls each shard about once a second).</summary>
    /// <value>The default is 1 second; 0 to 5 minutes.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws <see cref="EventSourceOptionsException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(StreamName))
        {
            throw new EventSourceOptionsException(nameof(StreamName), "a stream name or ARN is required.");
        }

        if (StreamName.StartsWith("arn:", StringComparison.Ordinal))
        {
            try
            {
                KinesisArn.Parse(StreamName);
            }
            catch (FormatException e)
            {
                throw new EventSourceOptionsException(nameof(StreamName), e.Message);
            }
        }

        if (string.IsNullOrWhiteSpace(FunctionArn))
        {
            throw new EventSourceOptionsException(nameof(FunctionArn), "a function ARN is required.");
        }

        Range(nameof(BatchSize), BatchSize, 1, 10_000);
        Range(nameof(MaximumBatchingWindowInSeconds), MaximumBatchingWindowInSeconds, 0, 300);
        Range(nameof(ParallelizationFactor), ParallelizationFactor, 1, 10);
        Range(nameof(MaximumRetryAttempts), MaximumRetryAttempts, -1, 10_000);
        Range(nameof(MaximumRecordAgeInSeconds), MaximumRecordAgeInSeconds, -1, 604_800);
        if (MaximumRecordAgeInSeconds == 0)
        {
            throw new EventSourceOptionsException(nameof(MaximumRecordAgeInSeconds), "must be -1 (no limit) or 1 to 604800 seconds; 0 was given.");
        }

        Range(nameof(TumblingWindowInSeconds), TumblingWindowInSeconds, 0, 900);
        if (!Enum.IsDefined(StartingPosition))
        {
            throw new EventSourceOptionsException(nameof(StartingPosition), $"must be TRIM_HORIZON, LATEST or AT_TIMESTAMP; {(int)StartingPosition} was given.");
        }

        if (StartingPosition == StartingPosition.AtTimestamp && StartingPositionTimestamp is null)
        {
            throw new EventSourceOptionsException(nameof(StartingPositionTimestamp), "is required when StartingPosition is AT_TIMESTAMP.");
        }

        if (StartingPosition != StartingPosition.AtTimestamp && StartingPositionTimestamp is not null)
        {
            throw new EventSourceOptionsException(nameof(StartingPositionTimestamp), "is only valid when StartingPosition is AT_TIMESTAMP.");
        }

        if (PollInterval < TimeSpan.Zero || PollInterval > TimeSpan.FromMinutes(5))
        {
            throw new EventSourceOptionsException(nameof(PollInterval), $"must be 0 to 5 minutes; {PollInterval} was given.");
        }
    }

    private static void Range(string option, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new EventSourceOptionsException(option, $"must be {min} to {max}; {value} was given.");
        }
    }
}
