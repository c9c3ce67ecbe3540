using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws;
using static StreamFunctions.Local.Leases.Internal.LeaseSerializer;

namespace StreamFunctions.Local.Leases;

/// <summary>
/// A KCL lease table in DynamoDB. Every change is one conditional write whose condition carries the
/// protocol: take and renew expect the <c>leaseCounter</c> the caller last saw, checkpoints expect
/// the caller's counter and ownership. A failed condition returns null ("lost"), never overwrites.
/// No transactions (TransactWriteItems), so it runs on every DynamoDB emulator.
/// </summary>
public sealed class LeaseTable
{
    private readonly IAmazonDynamoDB _dynamo;

    /// <summary>Creates the table accessor.</summary>
    /// <param name="dynamo">The DynamoDB client.</param>
    /// <param name="tableName">The lease table (for KCL applications: the application name).</param>
    public LeaseTable(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        _dynamo = dynamo;
        TableName = tableName;
    }

    /// <summary>The table's name.</summary>
    public string TableName { get; }

    /// <summary>Creates the table as KCL does (hash key <c>leaseKey</c>, on-demand) unless it exists; waits until ACTIVE.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when this call created it.</returns>
    public Task<bool> CreateIfNotExistsAsync(CancellationToken cancellationToken = default) =>
        DynamoDbTables.CreateAsync(_dynamo, TableName, LeaseKey, TimeSpan.FromSeconds(60), ifNotExists: true, cancellationToken);

    /// <summary>Reads every lease with a consistent scan.</summary>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The leases, by lease key.</returns>
    public async Task<IReadOnlyList<Lease>> ListAsync(CancellationToken cancellationToken = default)
    {
        var leases = new List<Lease>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await _dynamo.ScanAsync(new ScanRequest
            {
                TableName = TableName,
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken).ConfigureAwait(false);
            leases.AddRange((page.Items ?? []).Select(FromItem));
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        leases.Sort(static (a, b) => string.CompareOrdinal(a.LeaseKey, b.LeaseKey));
        return leases;
    }

    /// <summary>Reads one lease (consistent read).</summary>
    /// <param name="leaseKey">The lease key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The lease, or null when there is none.</returns>
    public async Task<Lease?> GetAsync(string leaseKey, CancellationToken cancellationToken = default)
    {
        var response = await _dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = TableName,
            Key = KeyOf(leaseKey),
            ConsistentRead = true,
        }, cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    /// <summary>Creates a lease unless one with its key exists (<c>attribute_not_exists(leaseKey)</c>).</summary>
    /// <param name="lease">The new lease.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>True when created; false when it existed.</returns>
    public async Task<bool> CreateIfNotExistsAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await _dynamo.PutItemAsync(new PutItemRequest
            {
                TableName = TableName,
                Item = ToItem(lease),
                ConditionExpression = "attribute_not_exists(#key)",
                ExpressionAttributeNames = new() { ["#key"] = LeaseKey },
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
    }

    /// <summary>Renews a held lease: counter + 1, if the counter and owner are still what the caller holds.</summary>
    /// <param name="held">The lease as the caller holds it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The renewed lease, or null when it was lost.</returns>
    public Task<Lease?> RenewAsync(Lease held, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(held);
        var owner = held.LeaseOwner ?? throw new ArgumentException($"Lease {held.LeaseKey} has no owner to renew for.", nameof(held));
        return UpdateAsync(
            held.LeaseKey,
            "SET #counter = :next",
            "#counter = :counter AND #owner = :owner",
            new() { [":next"] = Number(held.LeaseCounter + 1), [":counter"] = Number(held.LeaseCounter), [":owner"] = new() { S = owner } },
            cancellationToken);
    }

    /// <summary>
    /// Takes a lease as last observed (free, expired or stolen): owner := <paramref name="owner"/>,
    /// counter + 1, <c>ownerSwitchesSinceCheckpoint</c> + 1 when the owner changes; only if the
    /// counter is still the observed one.
    /// </summary>
    /// <param name="observed">The lease as the caller last read it.</param>
    /// <param name="owner">The worker taking it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The taken lease, or null when someone changed it first.</returns>
    public Task<Lease?> TakeAsync(Lease observed, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        var switches = observed.LeaseOwner != owner;
        return UpdateAsync(
            observed.LeaseKey,
            switches ? "SET #owner = :owner, #counter = :next ADD #switches :one" : "SET #owner = :owner, #counter = :next",
            "#counter = :counter",
            switches
                ? new() { [":owner"] = new() { S = owner }, [":next"] = Number(observed.LeaseCounter + 1), [":counter"] = Number(observed.LeaseCounter), [":one"] = Number(1) }
                : new() { [":owner"] = new() { S = owner }, [":next"] = Number(observed.LeaseCounter + 1), [":counter"] = Number(observed.LeaseCounter) },
            cancellationToken,
            switches ? [OwnerSwitches] : []);
    }

    /// <summary>Gives up a held lease (owner removed, counter + 1) so another worker can take it at once.</summary>
    /// <param name="held">The lease as the caller holds it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The released lease, or null when it was already lost.</returns>
    public Task<Lease?> EvictAsync(Lease held, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(held);
        return UpdateAsync(
            held.LeaseKey,
            "REMOVE #owner SET #counter = :next",
            "#counter = :counter AND #owner = :owner",
            new() { [":next"] = Number(held.LeaseCounter + 1), [":counter"] = Number(held.LeaseCounter), [":owner"] = new() { S = held.LeaseOwner ?? string.Empty } },
            cancellationToken);
    }

    /// <summary>
    /// Writes a checkpoint for a held lease, fenced: only if the counter and owner are still the
    /// caller's. Resets <c>ownerSwitchesSinceCheckpoint</c>, clears a pending checkpoint, counter + 1,
    /// as KCL's checkpoint does; records the child shards at SHARD_END.
    /// </summary>
    /// <param name="held">The lease as the caller holds it.</param>
    /// <param name="checkpoint">The new checkpoint (the caller checked it does not move backwards).</param>
    /// <param name="childShardIds">At SHARD_END, the shard's children; otherwise empty.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The updated lease, or null when it was lost.</returns>
    public Task<Lease?> CheckpointAsync(Lease held, ExtendedSequenceNumber checkpoint, IReadOnlyList<string> childShardIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(childShardIds);
        var values = new Dictionary<string, AttributeValue>
        {
            [":checkpoint"] = new() { S = checkpoint.SequenceNumber },
            [":sub"] = Number(checkpoint.SubSequenceNumber),
            [":zero"] = Number(0),
            [":next"] = Number(held.LeaseCounter + 1),
            [":counter"] = Number(held.LeaseCounter),
            [":owner"] = new() { S = held.LeaseOwner ?? string.Empty },
        };
        var set = "SET #checkpoint = :checkpoint, #sub = :sub, #switches = :zero, #counter = :next";
        string[] extraNames = [Checkpoint, CheckpointSubSequence, OwnerSwitches, PendingCheckpoint, PendingCheckpointSubSequence];
        if (childShardIds.Count > 0)
        {
            values[":children"] = new() { SS = [.. childShardIds] };
            set += ", #children = :children";
            extraNames = [.. extraNames, ChildShardIds];
        }

        return UpdateAsync(
            held.LeaseKey,
            set + " REMOVE #pending, #pendingSub",
            "#counter = :counter AND #owner = :owner",
            values,
            cancellationToken,
            extraNames);
    }

    /// <summary>Deletes a lease (e.g. a finished shard past retention).</summary>
    /// <param name="leaseKey">The lease key.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when deleted.</returns>
    public Task DeleteAsync(string leaseKey, CancellationToken cancellationToken = default) =>
        _dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = TableName, Key = KeyOf(leaseKey) }, cancellationToken);

    private async Task<Lease?> UpdateAsync(
        string leaseKey,
        string update,
        string condition,
        Dictionary<string, AttributeValue> values,
        CancellationToken cancellationToken,
        IReadOnlyList<string>? extraNames = null)
    {
        var names = new Dictionary<string, string> { ["#counter"] = LeaseCounter, ["#owner"] = LeaseOwner };
        foreach (var name in extraNames ?? [])
        {
            names[Placeholder(name)] = name;
        }

        try
        {
            var response = await _dynamo.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = TableName,
                Key = KeyOf(leaseKey),
                UpdateExpression = update,
                ConditionExpression = condition,
                ExpressionAttributeNames = names.Where(n => update.Contains(n.Key, StringComparison.Ordinal) || condition.Contains(n.Key, StringComparison.Ordinal)).ToDictionary(),
                ExpressionAttributeValues = values,
                ReturnValues = ReturnValue.ALL_NEW,
            }, cancellationToken).ConfigureAwait(false);
            return FromItem(response.Attributes);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }
    }

    private static string Placeholder(string attribute) => attribute switch
    {
        OwnerSwitches => "#switches",
        Checkpoint => "#checkpoint",
        CheckpointSubSequence => "#sub",
        PendingCheckpoint => "#pending",
        PendingCheckpointSubSequence => "#pendingSub",
        ChildShardIds => "#children",
        _ => "#" + attribute,
    };

    private static Dictionary<string, AttributeValue> KeyOf(string leaseKey) => new() { [LeaseKey] = new() { S = leaseKey } };
}
