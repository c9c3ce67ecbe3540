using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace StreamFunctions.Aggregator;

/// <summary>Where tumbling-window state too large for Lambda's 1 MB window state is kept, by content id.</summary>
public interface ISnapshotSpill
{
    /// <summary>Stores a snapshot (idempotent: the same id holds the same bytes).</summary>
    /// <param name="id">The id.</param>
    /// <param name="snapshot">The bytes.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task PutAsync(string id, byte[] snapshot, CancellationToken cancellationToken = default);

    /// <summary>Reads a snapshot.</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="InvalidDataException">There is none under that id.</exception>
    Task<byte[]> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes a snapshot no state refers to any more (absent is fine).</summary>
    /// <param name="id">The id.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}

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

/// <summary>Spilled snapshots in memory (tests, the local pipeline).</summary>
public sealed class InMemorySnapshotSpill : ISnapshotSpill
{
    private readonly Dictionary<string, byte[]> _snapshots = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The ids held.</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            lock (_gate)
            {
                return [.. _snapshots.Keys];
            }
        }
    }

    /// <inheritdoc/>
    public Task PutAsync(string id, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _snapshots[id] = snapshot;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _snapshots.TryGetValue(id, out var snapshot) ? Task.FromResult(snapshot) : throw new InvalidDataException($"The spilled window state {id} is not held.");
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _snapshots.Remove(id);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Bytes split over items of at most 350 KB (<c>{prefix}{i}</c>, attribute <c>data</c>).</summary>
internal static class DynamoDbChunks
{
    public const int ChunkBytes = 350 * 1024;

    public static async Task<int> WriteAsync(IAmazonDynamoDB dynamo, string table, string prefix, byte[] bytes, AttributeValue? expiresAt, CancellationToken cancellationToken)
    {
        var chunks = Math.Max(1, (bytes.Length + ChunkBytes - 1) / ChunkBytes);
        for (var i = 0; i < chunks; i++)
        {
            var item = new Dictionary<string, AttributeValue>
            {
                ["id"] = new() { S = prefix + i.ToString(CultureInfo.InvariantCulture) },
                ["data"] = new() { B = new MemoryStream(bytes, i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - (i * ChunkBytes)), writable: false) },
            };
            if (expiresAt is not null)
            {
                item["expiresAt"] = expiresAt;
            }

            await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = item }, cancellationToken).ConfigureAwait(false);
        }

        return chunks;
    }

    public static async Task<byte[]> ReadAsync(IAmazonDynamoDB dynamo, string table, string prefix, int chunks, CancellationToken cancellationToken)
    {
        using var bytes = new MemoryStream();
        for (var i = 0; i < chunks; i++)
        {
            var item = (await dynamo.GetItemAsync(new GetItemRequest { TableName = table, Key = Id(prefix + i.ToString(CultureInfo.InvariantCulture)), ConsistentRead = true }, cancellationToken).ConfigureAwait(false)).Item;
            if (item is not { Count: > 0 } || !item.TryGetValue("data", out var data) || data.B is null)
            {
                throw new InvalidDataException($"{table} lacks chunk {prefix}{i} of {chunks}.");
            }

            data.B.Position = 0;
            await data.B.CopyToAsync(bytes, cancellationToken).ConfigureAwait(false);
        }

        return bytes.ToArray();
    }

    public static Dictionary<string, AttributeValue> Id(string id) => new() { ["id"] = new() { S = id } };
}
