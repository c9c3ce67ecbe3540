using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws;

namespace StreamFunctions.Aggregator;

/// <summary>One shard's saved aggregation: the operator's snapshot and the last sequence number it holds.</summary>
/// <param name="Version">Advanced by every commit; 0 when nothing was saved.</param>
/// <param name="LastSequence">The last record applied; records up to it are skipped on redelivery.</param>
/// <param name="Snapshot">The operator state, or null.</param>
public sealed record AggregatorState(long Version, string? LastSequence, byte[]? Snapshot);

/// <summary>Another invocation committed the shard's state since it was read.</summary>
/// <param name="key">The aggregation and shard.</param>
public sealed class AggregatorStateConflictException(string key)
    : Exception($"The aggregation state of {key} changed since it was read (two invocations on one shard: use ParallelizationFactor 1).");

/// <summary>Where each shard's aggregation state and checkpoint are kept.</summary>
public interface IAggregatorStateStore
{
    /// <summary>Reads a shard's state.</summary>
    /// <param name="aggregation">The aggregation's name.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The state (version 0 when there is none).</returns>
    Task<AggregatorState> LoadAsync(string aggregation, string shard, CancellationToken cancellationToken = default);

    /// <summary>Saves a state and its checkpoint together, if nobody saved since <paramref name="expectedVersion"/>.</summary>
    /// <param name="aggregation">The aggregation's name.</param>
    /// <param name="shard">The shard.</param>
    /// <param name="expectedVersion">The version read.</param>
    /// <param name="lastSequence">The last record the snapshot holds.</param>
    /// <param name="snapshot">The snapshot.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>The new version.</returns>
    /// <exception cref="AggregatorStateConflictException">Saved in between.</exception>
    Task<long> CommitAsync(string aggregation, string shard, long expectedVersion, string lastSequence, byte[] snapshot, CancellationToken cancellationToken = default);
}

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

/// <summary>States in memory (the local pipeline, tests).</summary>
public sealed class InMemoryAggregatorStateStore : IAggregatorStateStore
{
    private readonly Dictionary<string, AggregatorState> _states = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc/>
    public Task<AggregatorState> LoadAsync(string aggregation, string shard, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_states.GetValueOrDefault(aggregation + "/" + shard) ?? new AggregatorState(0, null, null));
        }
    }

    /// <inheritdoc/>
    public Task<long> CommitAsync(string aggregation, string shard, long expectedVersion, string lastSequence, byte[] snapshot, CancellationToken cancellationToken = default)
    {
        var key = aggregation + "/" + shard;
        lock (_gate)
        {
            if ((_states.GetValueOrDefault(key)?.Version ?? 0) != expectedVersion)
            {
                throw new AggregatorStateConflictException(key);
            }

            _states[key] = new AggregatorState(expectedVersion + 1, lastSequence, snapshot);
            return Task.FromResult(expectedVersion + 1);
        }
    }
}
