using StreamFunctions.Streams;
using StreamFunctions.Streams.Model;

namespace StreamFunctions.Testing.Kinesis;

/// <summary>Reads back what a stream holds, for assertions.</summary>
public static class StreamContents
{
    /// <summary>
    /// Every record of every shard (open or closed), shard by shard in ListShards order, each shard in
    /// sequence order: read from TRIM_HORIZON until a page is empty at the tip.
    /// </summary>
    /// <param name="kinesis">The stream API (Kinesis, an emulator, the embedded log or <see cref="InMemoryKinesis"/>).</param>
    /// <param name="streamName">The stream.</param>
    /// <returns>The records.</returns>
    public static async Task<List<KinesisRecord>> ReadAllAsync(IKinesisApi kinesis, string streamName)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        var found = new List<KinesisRecord>();
        foreach (var shard in (await kinesis.ListShardsAsync(new ListShardsRequest(streamName)).ConfigureAwait(false)).Shards)
        {
            var iterator = (await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(streamName, shard.ShardId, ShardIteratorType.TrimHorizon)).ConfigureAwait(false)).ShardIterator;
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
        }

        return found;
    }
}
