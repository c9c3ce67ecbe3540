using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws;
using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Aggregator;

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
