using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws;
using StreamFunctions.Producers;

namespace StreamFunctions.Gateway;

/// <summary>
/// An <see cref="IIdempotencyStore"/> in a DynamoDB table with a string partition key <c>id</c> and TTL on
/// the number attribute <c>expiresAt</c> (epoch seconds). A claim is one conditional put that succeeds only
/// if the key is absent, expired, or an abandoned in-progress claim; completing and releasing are
/// conditional on the claim's token, so a claim taken over after a timeout cannot be overwritten by the
/// request that lost it. DynamoDB's TTL deletes items some time after they expire, so expiry is also checked
/// in the condition itself.
/// </summary>
public sealed class DynamoDbIdempotencyStore : IIdempotencyStore
{
    private const string InProgress = "INPROGRESS";
    private const string Completed = "COMPLETED";
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _table;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    /// <param name="dynamo">The DynamoDB client.</param>
    /// <param name="tableName">The table.</param>
    /// <param name="window">How long a written key is remembered.</param>
    /// <param name="time">The clock.</param>
    public DynamoDbIdempotencyStore(IAmazonDynamoDB dynamo, string tableName, TimeSpan window, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _dynamo = dynamo;
        _table = tableName;
        _window = window;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Creates the table (for tests and the local pipeline; the SAM template creates it in AWS).</summary>
    /// <param name="dynamo">The client.</param>
    /// <param name="tableName">The table.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the table is active.</returns>
    public static Task CreateTableAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken cancellationToken = default) =>
        DynamoDbTables.CreateAsync(dynamo, tableName, "id", TimeSpan.FromSeconds(10), cancellationToken: cancellationToken);

    /// <inheritdoc />
    public async Task<IdempotencyClaim> ClaimAsync(string key, string payloadHash, TimeSpan inProgressTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var now = _time.GetUtcNow();
            var token = Guid.NewGuid().ToString("N");
            try
            {
                await _dynamo.PutItemAsync(new PutItemRequest
                {
                    TableName = _table,
                    Item = new Dictionary<string, AttributeValue>
                    {
                        ["id"] = new() { S = key },
                        ["status"] = new() { S = InProgress },
                        ["token"] = new() { S = token },
                        ["payloadHash"] = new() { S = payloadHash },
                        ["expiresAt"] = Number((now + inProgressTimeout).ToUnixTimeSeconds() + 1),
                        ["inProgressUntil"] = Number((now + inProgressTimeout).ToUnixTimeMilliseconds()),
                    },
                    ConditionExpression = "attribute_not_exists(id) OR expiresAt < :nowSeconds OR (#status = :inProgress AND inProgressUntil < :nowMs)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#status"] = "status" },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":nowSeconds"] = Number(now.ToUnixTimeSeconds()),
                        [":nowMs"] = Number(now.ToUnixTimeMilliseconds()),
                        [":inProgress"] = new() { S = InProgress },
                    },
                }, cancellationToken).ConfigureAwait(false);
                return new IdempotencyClaim(key, IdempotencyStatus.Claimed, token, null);
            }
            catch (ConditionalCheckFailedException)
            {
            }

            var existing = await _dynamo.GetItemAsync(new GetItemRequest
            {
                TableName = _table,
                Key = new Dictionary<string, AttributeValue> { ["id"] = new() { S = key } },
                ConsistentRead = true,
            }, cancellationToken).ConfigureAwait(false);
            if (existing.Item is not { Count: > 0 } item)
            {
                continue; // released or expired since: claim again
            }

            if (item["status"].S != Completed)
            {
                return new IdempotencyClaim(key, IdempotencyStatus.InProgress, null, null);
            }

            return item["payloadHash"].S == payloadHash
                ? new IdempotencyClaim(key, IdempotencyStatus.Completed, null, ResultOf(item))
                : new IdempotencyClaim(key, IdempotencyStatus.PayloadMismatch, null, null);
        }

        return new IdempotencyClaim(key, IdempotencyStatus.InProgress, null, null);
    }

    /// <inheritdoc />
    public async Task CompleteAsync(IdempotencyClaim claim, ProduceResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(result);
        var values = new Dictionary<string, AttributeValue>
        {
            [":completed"] = new() { S = Completed },
            [":token"] = new() { S = claim.Token },
            [":expiresAt"] = Number((_time.GetUtcNow() + _window).ToUnixTimeSeconds()),
        };
        var sets = new List<string> { "#status = :completed", "expiresAt = :expiresAt" };
        void Set(string name, AttributeValue? value)
        {
            if (value is not null)
            {
                sets.Add($"{name} = :{name}");
                values[":" + name] = value;
            }
        }

        Set("shardId", result.ShardId is null ? null : new AttributeValue { S = result.ShardId });
        Set("sequenceNumber", result.SequenceNumber is null ? null : new AttributeValue { S = result.SequenceNumber });
        Set("subSequenceNumber", result.SubSequenceNumber is { } sub ? Number(sub) : null);
        Set("kafkaPartition", result.Partition is { } partition ? Number(partition) : null);
        Set("kafkaOffset", result.Offset is { } offset ? Number(offset) : null);
        try
        {
            await _dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = _table,
                Key = new Dictionary<string, AttributeValue> { ["id"] = new() { S = claim.Key } },
                UpdateExpression = "SET " + string.Join(", ", sets),
                ConditionExpression = "#token = :token",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#status"] = "status", ["#token"] = "token" },
                ExpressionAttributeValues = values,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            // Another request took the claim over after its timeout; the record is written either way.
        }
    }

    /// <inheritdoc />
    public async Task ReleaseAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            await _dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = _table,
                Key = new Dictionary<string, AttributeValue> { ["id"] = new() { S = claim.Key } },
                ConditionExpression = "#token = :token",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#token"] = "token" },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":token"] = new() { S = claim.Token } },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
        }
    }

    private static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static ProduceResult ResultOf(Dictionary<string, AttributeValue> item)
    {
        string? S(string name) => item.TryGetValue(name, out var v) ? v.S : null;
        long? N(string name) => item.TryGetValue(name, out var v) && v.N is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : null;
        return new ProduceResult
        {
            ShardId = S("shardId"),
            SequenceNumber = S("sequenceNumber"),
            SubSequenceNumber = (int?)N("subSequenceNumber"),
            Partition = (int?)N("kafkaPartition"),
            Offset = N("kafkaOffset"),
            Attempts = 0,
        };
    }
}
