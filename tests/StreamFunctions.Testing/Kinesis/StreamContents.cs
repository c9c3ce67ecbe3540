using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Testing.Kinesis;

/// <summary>Reads back what a stream holds, for assertions.</summary>
public static class StreamContents
{
    /// <summary>
    /// Every record of every shard (open or closed), shard by shard in ListShards order, each shard in
    /// sequence order: read from TRIM_HORIZON until a page is empty at the tip.
    /// </summary>
    /// <param name="kinesis">The stream API (Kinesis, an emulator, or the embedded log, e.g. behind <see cref="FaultInjectingKinesis"/>).</param>
    /// <param name="streamName">The stream.</param>
    /// <returns>The records.</returns>
    public static async Task<List<KinesisRecord>> ReadAllAsync(IKinesisApi kinesis, string streamName)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        var found = new List<KinesisRecord>();
        foreach (var shard in (await kinesis.ListShardsAsync(new ListShardsRequest(streamName)).ConfigureAwait(false)).Shards)
        {
            found.AddRange(await ReadShardAsync(kinesis, streamName, shard.ShardId).ConfigureAwait(false));
        }

        return found;
    }

    /// <summary>Every record of one shard, in sequence order: read from TRIM_HORIZON until a page is empty at the tip.</summary>
    /// <param name="kinesis">The stream API.</param>
    /// <param name="streamName">The stream.</param>
    /// <param name="shardId">The shard.</param>
    /// <returns>The records.</returns>
    public static async Task<List<KinesisRecord>> ReadShardAsync(IKinesisApi kinesis, string streamName, string shardId)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        var found = new List<KinesisRecord>();
        var iterator = (await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(streamName, shardId, ShardIteratorType.TrimHorizon)).ConfigureAwait(false)).ShardIterator;
        while (iterator is not null)
        {
            var page = await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator, 10_000)).ConfigureAwait(false);
            found.AddRange(page.Records);
            if (page.Records.Count == 0 && page.MillisBehindLatest == 0)
            {
                break;
            }

            iterator = page.NextShardIterator;
        }

        return found;
    }
}
