using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws;

namespace StreamFunctions.Sink.Buffer;

/// <summary>
/// The shard states in a DynamoDB table (hash key <c>shard</c>, string): one item per shard holding the
/// state as compact JSON (<c>state</c>) and a <c>version</c> that every write checks and advances.
/// </summary>
/// <param name="dynamo">The client.</param>
/// <param name="tableName">The table.</param>
public sealed class DynamoDbSinkStateStore(IAmazonDynamoDB dynamo, string tableName) : ISinkStateStore
{
    /// <summary>DynamoDB's item limit; a state must stay well below it.</summary>
    public const int MaxItemBytes = 400 * 1024;

    private readonly IAmazonDynamoDB _dynamo = dynamo ?? throw new ArgumentNullException(nameof(dynamo));
    private readonly string _table = string.IsNullOrWhiteSpace(tableName) ? throw new ArgumentException("A table name is required.", nameof(tableName)) : tableName;

    /// <summary>Creates the table (for tests and the local pipeline; the SAM template creates it in AWS).</summary>
    /// <param name="dynamo">The client.</param>
    /// <param name="tableName">The table.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task that completes when the table is active.</returns>
    public static Task CreateTableAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken cancellationToken = default) =>
        DynamoDbTables.CreateAsync(dynamo, tableName, "shard", TimeSpan.FromSeconds(10), cancellationToken: cancellationToken);

    /// <inheritdoc/>
    /// <remarks>The serialized size of the state: what the item's <c>state</c> attribute holds.</remarks>
    public int SizeOf(SinkShardState state) => SinkStateJsonContext.SizeOf(state);

    /// <inheritdoc/>
    public async Task<SinkShardState> LoadAsync(string stream, string shard, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(stream, shard);
        var item = await _dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = _table,
            Key = new Dictionary<string, AttributeValue> { ["shard"] = new() { S = key } },
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        if (item.Item is not { Count: > 0 } attributes)
        {
            return new SinkShardState { Key = key, Stream = stream, Shard = shard };
        }

        var state = JsonSerializer.Deserialize(attributes["state"].S, SinkStateJsonContext.Default.SinkShardState)
            ?? throw new InvalidDataException($"The sink state of {key} is empty.");
        state.Version = long.Parse(attributes["version"].N, CultureInfo.InvariantCulture);
        return state;
    }

    /// <inheritdoc/>
    public async Task CommitAsync(SinkShardState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var json = JsonSerializer.Serialize(state, SinkStateJsonContext.Default.SinkShardState);
        if (json.Length > MaxItemBytes - 1024)
        {
            throw new InvalidOperationException($"The sink state of {state.Key} is {json.Length} bytes, over DynamoDB's item limit; flush partitions before adding more.");
        }

        var next = state.Version + 1;
        try
        {
            await _dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = _table,
                Item = new Dictionary<string, AttributeValue>
                {
                    ["shard"] = new() { S = state.Key },
                    ["version"] = new() { N = next.ToString(CultureInfo.InvariantCulture) },
                    ["state"] = new() { S = json },
                },
                ConditionExpression = state.Version == 0 ? "attribute_not_exists(#shard)" : "#version = :v",
                ExpressionAttributeNames = state.Version == 0 ? new Dictionary<string, string> { ["#shard"] = "shard" } : new Dictionary<string, string> { ["#version"] = "version" },
                ExpressionAttributeValues = state.Version == 0 ? null : new Dictionary<string, AttributeValue> { [":v"] = new() { N = state.Version.ToString(CultureInfo.InvariantCulture) } },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            throw new SinkStateConflictException(state.Key);
        }

        state.Version = next;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<(string Stream, string Shard)> ShardsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await _dynamo.ScanAsync(new ScanRequest
            {
                TableName = _table,
                ExclusiveStartKey = start,
                ProjectionExpression = "#shard",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#shard"] = "shard" },
            }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items ?? [])
            {
                var key = item["shard"].S;
                var slash = key.LastIndexOf('/');
                yield return (key[..slash], key[(slash + 1)..]);
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
    }

    private static string KeyOf(string stream, string shard) => stream + "/" + shard;
}
