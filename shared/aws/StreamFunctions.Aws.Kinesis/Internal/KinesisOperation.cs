namespace StreamFunctions.Aws.Kinesis.Internal;

/// <summary>A Kinesis API operation and whether repeating it is harmless.</summary>
/// <param name="Name">The operation name, sent as <c>X-Amz-Target: Kinesis_20131202.{Name}</c>.</param>
/// <param name="IsIdempotent">
/// True for reads: a retry after an unknown outcome (server error, timeout, broken connection)
/// cannot change anything. False for writes, which are retried only when Kinesis rejected them.
/// </param>
internal sealed record KinesisOperation(string Name, bool IsIdempotent)
{
    public static readonly KinesisOperation CreateStream = new("CreateStream", false);
    public static readonly KinesisOperation DeleteStream = new("DeleteStream", false);
    public static readonly KinesisOperation DescribeStreamSummary = new("DescribeStreamSummary", true);
    public static readonly KinesisOperation ListShards = new("ListShards", true);
    public static readonly KinesisOperation PutRecord = new("PutRecord", false);
    public static readonly KinesisOperation PutRecords = new("PutRecords", false);
    public static readonly KinesisOperation GetShardIterator = new("GetShardIterator", true);
    public static readonly KinesisOperation GetRecords = new("GetRecords", true);
    public static readonly KinesisOperation SplitShard = new("SplitShard", false);
    public static readonly KinesisOperation MergeShards = new("MergeShards", false);
    public static readonly KinesisOperation UpdateShardCount = new("UpdateShardCount", false);
    public static readonly KinesisOperation RegisterStreamConsumer = new("RegisterStreamConsumer", false);
    public static readonly KinesisOperation DescribeStreamConsumer = new("DescribeStreamConsumer", true);
    public static readonly KinesisOperation DeregisterStreamConsumer = new("DeregisterStreamConsumer", false);

    public string Target { get; } = "Kinesis_20131202." + Name;
}
