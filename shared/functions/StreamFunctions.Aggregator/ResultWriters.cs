using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.S3;
using StreamFunctions.Aws;
using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator;

/// <summary>
/// Where window results go. Every result carries its <see cref="WindowResult.ResultKey"/>: a table writes by it
/// (writing a result again overwrites it), objects are named by the batch that produced them (a retried batch
/// rewrites the same object), and stream records are keyed by it (consumers upsert).
/// </summary>
public interface IWindowResultWriter
{
    /// <summary>Writes one batch's results.</summary>
    /// <param name="batchId">The batch that produced them (<c>shard-firstSequence-lastSequence</c>, or the shard and
    /// window of a Lambda tumbling window): the same batch, retried, has the same id.</param>
    /// <param name="results">The results, in firing order.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task that completes when they are durable.</returns>
    Task WriteAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default);
}

/// <summary>
/// Results as items of a DynamoDB table (hash key <c>resultKey</c> = <c>aggregation/key/window</c>): <c>aggregation</c>,
/// <c>groupKey</c>, <c>windowStart</c>, <c>windowEnd</c> (ms; a count window's number), <c>count</c>, <c>isUpdate</c>, and one
/// attribute per aggregate value (a number, or a list of <c>{item, count, error}</c> maps for top-k).
/// </summary>
/// <param name="dynamo">The client.</param>
/// <param name="tableName">The table.</param>
public sealed class DynamoDbWindowResultWriter(IAmazonDynamoDB dynamo, string tableName) : IWindowResultWriter
{
    private readonly IAmazonDynamoDB _dynamo = dynamo ?? throw new ArgumentNullException(nameof(dynamo));

    /// <summary>Creates the table.</summary>
    /// <param name="dynamo">The client.</param>
    /// <param name="tableName">The table.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    public static Task CreateTableAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken cancellationToken = default) =>
        DynamoDbTables.CreateAsync(dynamo, tableName, "resultKey", TimeSpan.FromSeconds(10), cancellationToken: cancellationToken);

    /// <inheritdoc/>
    public async Task WriteAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);

        // A key can fire twice in one batch (fired, then updated); the last result is the one to keep.
        var latest = results.GroupBy(r => r.ResultKey, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        foreach (var page in latest.Chunk(25))
        {
            var pending = new List<WriteRequest>([.. page.Select(r => new WriteRequest(new PutRequest(Item(r))))]);
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 25 << Math.Min(attempt, 6))), cancellationToken).ConfigureAwait(false);
                }

                if (attempt > 10)
                {
                    throw new InvalidOperationException($"DynamoDB left {pending.Count} results unprocessed after {attempt} attempts.");
                }

                var response = await _dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [tableName] = pending } }, cancellationToken).ConfigureAwait(false);
                pending = response.UnprocessedItems is { } left && left.TryGetValue(tableName, out var rest) ? rest : [];
            }
        }
    }

    private static Dictionary<string, AttributeValue> Item(WindowResult r)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["resultKey"] = new() { S = r.ResultKey },
            ["aggregation"] = new() { S = r.Aggregation },
            ["groupKey"] = new() { S = r.Key },
            ["windowStart"] = Number(r.Window.Start),
            ["windowEnd"] = Number(r.Window.End),
            ["count"] = Number(r.Count),
            ["isUpdate"] = new() { BOOL = r.IsUpdate },
        };
        foreach (var value in r.Values)
        {
            if (value.Top is { } top)
            {
                item[value.Name] = new() { L = [.. top.Select(t => new AttributeValue { M = new() { ["item"] = new() { S = t.Item }, ["count"] = Number(t.Count), ["error"] = Number(t.Error) } })] };
            }
            else if (value.Value is { } number && double.IsFinite(number))
            {
                item[value.Name] = new() { N = number.ToString("R", CultureInfo.InvariantCulture) };
            }
            else
            {
                item[value.Name] = new() { NULL = true };
            }
        }

        return item;
    }

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}

/// <summary>Results in memory, by result key (the local pipeline, tests).</summary>
public sealed class InMemoryWindowResultWriter : IWindowResultWriter
{
    private readonly Dictionary<string, WindowResult> _results = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The latest result of every key.</summary>
    public IReadOnlyDictionary<string, WindowResult> Results
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, WindowResult>(_results, StringComparer.Ordinal);
            }
        }
    }

    /// <inheritdoc/>
    public Task WriteAsync(string batchId, IReadOnlyList<WindowResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        lock (_gate)
        {
            foreach (var r in results)
            {
                _results[r.ResultKey] = r;
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>Records the aggregation did not count: later than the allowed lateness, or unreadable.</summary>
public interface ISideOutput
{
    /// <summary>Writes one batch's side records (JSON lines) under a key derived from the batch, so a redelivery overwrites.</summary>
    /// <param name="aggregation">The aggregation.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="firstSequence">The batch's first sequence number.</param>
    /// <param name="lastSequence">Its last.</param>
    /// <param name="jsonLines">The records.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>Where they went.</returns>
    Task<string> WriteAsync(string aggregation, string shard, string firstSequence, string lastSequence, ReadOnlyMemory<byte> jsonLines, CancellationToken cancellationToken = default);
}

/// <summary>The side output as S3 objects: <c>{prefix}{aggregation}/{shard}/{first}-{last}.jsonl</c>.</summary>
/// <param name="s3">The client.</param>
/// <param name="bucket">The bucket.</param>
/// <param name="prefix">The prefix (default <c>late/</c>).</param>
public sealed class S3SideOutput(IAmazonS3 s3, string bucket, string prefix = "late/") : ISideOutput
{
    /// <inheritdoc/>
    public async Task<string> WriteAsync(string aggregation, string shard, string firstSequence, string lastSequence, ReadOnlyMemory<byte> jsonLines, CancellationToken cancellationToken = default)
    {
        var key = $"{prefix}{aggregation}/{shard}/{firstSequence}-{lastSequence}.jsonl";
        await s3.PutBytesAsync(bucket, key, jsonLines.ToArray(), "application/x-ndjson", cancellationToken: cancellationToken).ConfigureAwait(false);
        return $"s3://{bucket}/{key}";
    }
}
