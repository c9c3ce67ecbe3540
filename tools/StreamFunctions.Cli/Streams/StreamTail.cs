using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Cli.Streams;

/// <summary>
/// Reads every shard of a stream from a position and prints each user record (KPL aggregates de-aggregated):
/// shard, sequence number and sub-sequence, partition key, and the data as text when it is UTF-8 without control
/// characters, else as base64. Follows new records, and the children of shards that close, until the limit or
/// cancellation; without following it stops once every shard is read to its tip.
/// </summary>
internal sealed class StreamTail(IKinesisApi kinesis, string stream, TextWriter output)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public async Task<int> RunAsync(ShardIteratorType from, int? limit, bool follow, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        var iterators = new Dictionary<string, string?>(StringComparer.Ordinal);
        var started = new HashSet<string>(StringComparer.Ordinal);
        var printed = 0;
        var users = new List<DeaggregatedRecord>();
        var initial = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            // The shards there at the start begin at the chosen position; shards that appear later (children of
            // closed ones) from their trim horizon, so nothing written to them is missed.
            foreach (var shard in await ShardsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (started.Add(shard.ShardId))
                {
                    var position = initial ? from : ShardIteratorType.TrimHorizon;
                    iterators[shard.ShardId] = (await kinesis.GetShardIteratorAsync(new GetShardIteratorRequest(stream, shard.ShardId, position), cancellationToken).ConfigureAwait(false)).ShardIterator;
                }
            }

            initial = false;

            var anyRecords = false;
            var behind = false;
            foreach (var shardId in iterators.Keys.Order(StringComparer.Ordinal).ToList())
            {
                if (iterators[shardId] is not { } iterator)
                {
                    continue;
                }

                var read = await kinesis.GetRecordsAsync(new GetRecordsRequest(iterator), cancellationToken).ConfigureAwait(false);
                iterators[shardId] = read.NextShardIterator;
                behind |= read.MillisBehindLatest > 0;

                // The one batch de-aggregation: a corrupt aggregate is one entry with its error.
                var records = read.Records;
                users.Clear();
                KplBatchDeaggregator.Deaggregate([.. records.Select(r => r.Data)], i => records[i].PartitionKey, users);
                anyRecords |= records.Count > 0;
                foreach (var user in users)
                {
                    var record = records[user.Source];
                    if (user.Error is not null)
                    {
                        await output.WriteLineAsync($"{shardId} {record.SequenceNumber} key={record.PartitionKey} corrupt KPL aggregate ({user.ErrorMessage}): base64:{Convert.ToBase64String(record.Data.Span)}").ConfigureAwait(false);
                        continue;
                    }

                    await output.WriteLineAsync($"{shardId} {record.SequenceNumber}:{user.Subsequence} key={user.PartitionKey} {Show(user.Data.Span)}").ConfigureAwait(false);
                    if (++printed == limit)
                    {
                        return printed;
                    }
                }
            }

            if (!follow && !anyRecords && !behind)
            {
                return printed;
            }

            if (!anyRecords)
            {
                await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        return printed;
    }

    internal static string Show(ReadOnlySpan<byte> data)
    {
        try
        {
            var text = StrictUtf8.GetString(data);
            return text.Any(c => char.IsControl(c) && c is not '\t') ? "base64:" + Convert.ToBase64String(data) : text;
        }
        catch (DecoderFallbackException)
        {
            return "base64:" + Convert.ToBase64String(data);
        }
    }

    private async Task<List<Shard>> ShardsAsync(CancellationToken cancellationToken)
    {
        var shards = new List<Shard>();
        var page = await kinesis.ListShardsAsync(new ListShardsRequest(StreamName: stream), cancellationToken).ConfigureAwait(false);
        shards.AddRange(page.Shards);
        while (page.NextToken is not null)
        {
            page = await kinesis.ListShardsAsync(new ListShardsRequest(NextToken: page.NextToken), cancellationToken).ConfigureAwait(false);
            shards.AddRange(page.Shards);
        }

        return shards;
    }
}
