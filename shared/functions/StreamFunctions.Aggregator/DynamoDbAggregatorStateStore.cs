using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws;

namespace StreamFunctions.Aggregator;

/// <summary>
/// The states in a DynamoDB table (hash key <c>id</c>): per shard, chunk items <c>aggregation/shard#vN#i</c>
/// holding the snapshot of version N (up to 350 KB each), and one head item <c>aggregation/shard</c> with the
/// version, the checkpoint and the chunk count. A commit writes the new version's chunks, then switches the head
/// with a conditional write — the one atomic step, so the snapshot and the checkpoint always move together —
/// then deletes the old chunks. A crash before the switch leaves the old version whole; the retry writes the same
/// chunk keys again.
/// </summary>
/// <param name="dynamo">The client.</param>
/// <param name="tableName">The table.</param>
public sealed class DynamoDbAggregatorStateStore(IAmazonDynamoDB dynamo, string tableName) : IAggregatorStateStore
{
    private readonly IAmazonDynamoDB _dynamo = dynamo ?? throw new ArgumentNullException(nameof(dynamo));
    private readonly string _table = string.IsNullOrWhiteSpace(tableName) ? throw new ArgumentException("A table name is required.", nameof(tableName)) : tableName;

    /// <summary>Creates the table (tests, the local pipeline; the SAM template creates it in AWS).</summary>
    /// <param name="dynamo">The client.</param>
    /// <param name="tableName">The table.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    public static Task CreateTableAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken cancellationToken = default) =>
        DynamoDbTables.CreateAsync(dynamo, tableName, "id", TimeSpan.FromSeconds(10), cancellationToken: cancellationToken);

    /// <inheritdoc/>
    public async Task<AggregatorState> LoadAsync(string aggregation, string shard, CancellationToken cancellationToken = default)
    {
        var head = Key(aggregation, shard);
        var item = (await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = DynamoDbChunks.Id(head), ConsistentRead = true }, cancellationToken).ConfigureAwait(false)).Item;
        if (item is not { Count: > 0 })
        {
            return new AggregatorState(0, null, null);
        }

        var version = long.Parse(item["version"].N, CultureInfo.InvariantCulture);
        var snapshot = await DynamoDbChunks.ReadAsync(_dynamo, _table, Chunk(head, version), int.Parse(item["chunks"].N, CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        return new AggregatorState(version, item["lastSequence"].S, snapshot);
    }

    /// <inheritdoc/>
    public async Task<long> CommitAsync(string aggregation, string shard, long expectedVersion, string lastSequence, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var head = Key(aggregation, shard);
        var next = expectedVersion + 1;
        var chunks = await DynamoDbChunks.WriteAsync(_dynamo, _table, Chunk(head, next), snapshot, null, cancellationToken).ConfigureAwait(false);
        int? oldChunks = null;
        try
        {
            var response = await _dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = _table,
                Item = new Dictionary<string, AttributeValue>
                {
                    ["id"] = new() { S = head },
                    ["version"] = new() { N = next.ToString(CultureInfo.InvariantCulture) },
                    ["chunks"] = new() { N = chunks.ToString(CultureInfo.InvariantCulture) },
                    ["lastSequence"] = new() { S = lastSequence },
                },
                ConditionExpression = expectedVersion == 0 ? "attribute_not_exists(#id)" : "#version = :v",
                ExpressionAttributeNames = expectedVersion == 0 ? new Dictionary<string, string> { ["#id"] = "id" } : new Dictionary<string, string> { ["#version"] = "version" },
                ExpressionAttributeValues = expectedVersion == 0 ? null : new Dictionary<string, AttributeValue> { [":v"] = new() { N = expectedVersion.ToString(CultureInfo.InvariantCulture) } },
                ReturnValues = ReturnValue.ALL_OLD,
            }, cancellationToken).ConfigureAwait(false);
            if (response.Attributes is { Count: > 0 } old && old.TryGetValue("chunks", out var n))
            {
                oldChunks = int.Parse(n.N, CultureInfo.InvariantCulture);
            }
        }
        catch (ConditionalCheckFailedException)
        {
            throw new AggregatorStateConflictException(head);
        }

        // The old version is unreachable now; its chunks go (a crash here leaves garbage, never a wrong state).
        for (var i = 0; i < (oldChunks ?? 0); i++)
        {
            await _dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = _table, Key = DynamoDbChunks.Id(Chunk(head, expectedVersion) + i.ToString(CultureInfo.InvariantCulture)) }, cancellationToken).ConfigureAwait(false);
        }

        return next;
    }

    private static string Key(string aggregation, string shard) => aggregation + "/" + shard;

    private static string Chunk(string head, long version) => string.Create(CultureInfo.InvariantCulture, $"{head}#v{version}#");
}
