using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace StreamFunctions.Aggregator;

/// <summary>
/// Spilled snapshots in the aggregator's state table (hash key <c>id</c>): a head item <c>spill/{id}</c> with the chunk
/// count and chunk items <c>spill/{id}#i</c> of up to 350 KB, all with a TTL (<c>expiresAt</c>, seconds) so that a
/// snapshot no invocation came back to delete still goes away.
/// </summary>
/// <param name="dynamo">The client.</param>
/// <param name="tableName">The table.</param>
/// <param name="retention">How long a spilled snapshot is kept at most (default 7 days; a window is at most 15 minutes).</param>
/// <param name="time">The clock for the TTL.</param>
public sealed class DynamoDbSnapshotSpill(IAmazonDynamoDB dynamo, string tableName, TimeSpan? retention = null, TimeProvider? time = null) : ISnapshotSpill
{
    private readonly TimeSpan _retention = retention ?? TimeSpan.FromDays(7);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc/>
    public async Task PutAsync(string id, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var expires = new AttributeValue { N = (_time.GetUtcNow() + _retention).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };
        var chunks = await DynamoDbChunks.WriteAsync(dynamo, tableName, "spill/" + id + "#", snapshot, expires, cancellationToken).ConfigureAwait(false);
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = tableName,
            Item = new Dictionary<string, AttributeValue>
            {
                ["id"] = new() { S = "spill/" + id },
                ["chunks"] = new() { N = chunks.ToString(CultureInfo.InvariantCulture) },
                ["expiresAt"] = expires,
            },
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var head = (await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = DynamoDbChunks.Id("spill/" + id), ConsistentRead = true }, cancellationToken).ConfigureAwait(false)).Item;
        if (head is not { Count: > 0 })
        {
            throw new InvalidDataException($"The spilled window state {id} is not in {tableName} (expired, or deleted by another invocation).");
        }

        return await DynamoDbChunks.ReadAsync(dynamo, tableName, "spill/" + id + "#", int.Parse(head["chunks"].N, CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var head = (await dynamo.GetItemAsync(new GetItemRequest { TableName = tableName, Key = DynamoDbChunks.Id("spill/" + id), ConsistentRead = true }, cancellationToken).ConfigureAwait(false)).Item;
        if (head is not { Count: > 0 })
        {
            return;
        }

        await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = tableName, Key = DynamoDbChunks.Id("spill/" + id) }, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < int.Parse(head["chunks"].N, CultureInfo.InvariantCulture); i++)
        {
            await dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = tableName, Key = DynamoDbChunks.Id($"spill/{id}#{i}") }, cancellationToken).ConfigureAwait(false);
        }
    }
}
