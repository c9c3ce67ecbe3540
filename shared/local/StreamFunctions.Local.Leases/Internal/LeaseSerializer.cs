using System.Globalization;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.Leases.Exceptions;

namespace StreamFunctions.Local.Leases.Internal;

/// <summary>
/// KCL's lease item format (DynamoDBLeaseSerializer): attribute names and types exactly as KCL 2.x/3.x
/// write them, so that this library and a KCL application can read each other's tables.
/// </summary>
internal static class LeaseSerializer
{
    public const string LeaseKey = "leaseKey";
    public const string LeaseOwner = "leaseOwner";
    public const string LeaseCounter = "leaseCounter";
    public const string OwnerSwitches = "ownerSwitchesSinceCheckpoint";
    public const string Checkpoint = "checkpoint";
    public const string CheckpointSubSequence = "checkpointSubSequenceNumber";
    public const string PendingCheckpoint = "pendingCheckpoint";
    public const string PendingCheckpointSubSequence = "pendingCheckpointSubSequenceNumber";
    public const string ParentShardId = "parentShardId";
    public const string ChildShardIds = "childShardIds";
    public const string StartingHashKey = "startingHashKey";
    public const string EndingHashKey = "endingHashKey";

    public static Dictionary<string, AttributeValue> ToItem(Lease lease)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LeaseKey] = new() { S = lease.LeaseKey },
            [LeaseCounter] = Number(lease.LeaseCounter),
            [OwnerSwitches] = Number(lease.OwnerSwitchesSinceCheckpoint),
            [Checkpoint] = new() { S = lease.Checkpoint.SequenceNumber },
            [CheckpointSubSequence] = Number(lease.Checkpoint.SubSequenceNumber),
        };
        if (lease.LeaseOwner is not null)
        {
            item[LeaseOwner] = new() { S = lease.LeaseOwner };
        }

        if (lease.ParentShardIds.Count > 0)
        {
            item[ParentShardId] = new() { SS = [.. lease.ParentShardIds] };
        }

        if (lease.ChildShardIds.Count > 0)
        {
            item[ChildShardIds] = new() { SS = [.. lease.ChildShardIds] };
        }

        if (lease.PendingCheckpoint is { } pending)
        {
            item[PendingCheckpoint] = new() { S = pending.SequenceNumber };
            item[PendingCheckpointSubSequence] = Number(pending.SubSequenceNumber);
        }

        if (lease.HashKeyRange is { } range)
        {
            item[StartingHashKey] = new() { S = HashKeys.Format(range.StartingHashKey) };
            item[EndingHashKey] = new() { S = HashKeys.Format(range.EndingHashKey) };
        }

        return item;
    }

    public static Lease FromItem(Dictionary<string, AttributeValue> item)
    {
        var key = item.TryGetValue(LeaseKey, out var k) && k.S is not null
            ? k.S
            : throw new MalformedLeaseException("(unknown)", "A lease item has no string 'leaseKey'.");
        var checkpoint = item.TryGetValue(Checkpoint, out var c) && c.S is not null
            ? new ExtendedSequenceNumber(c.S, Long(item, CheckpointSubSequence, key) ?? 0)
            : ExtendedSequenceNumber.TrimHorizon;
        ExtendedSequenceNumber? pending = item.TryGetValue(PendingCheckpoint, out var p) && !string.IsNullOrEmpty(p.S)
            ? new ExtendedSequenceNumber(p.S, Long(item, PendingCheckpointSubSequence, key) ?? 0)
            : null;
        HashKeyRange? range = null;
        if (item.TryGetValue(StartingHashKey, out var start) && item.TryGetValue(EndingHashKey, out var end)
            && HashKeys.TryParse(start.S, out var from) && HashKeys.TryParse(end.S, out var to))
        {
            range = new HashKeyRange(from, to);
        }

        return new Lease(
            key,
            item.TryGetValue(LeaseOwner, out var owner) ? owner.S : null,
            Long(item, LeaseCounter, key) ?? throw new MalformedLeaseException(key, $"Lease {key} has no number 'leaseCounter'."),
            checkpoint,
            Long(item, OwnerSwitches, key) ?? 0,
            StringSet(item, ParentShardId),
            StringSet(item, ChildShardIds),
            range,
            pending);
    }

    public static AttributeValue Number(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static long? Long(Dictionary<string, AttributeValue> item, string name, string key)
    {
        if (!item.TryGetValue(name, out var value) || value.N is null)
        {
            return null;
        }

        return long.TryParse(value.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new MalformedLeaseException(key, $"Lease {key} has a non-integer '{name}': {value.N}.");
    }

    private static string[] StringSet(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.SS is { Count: > 0 } set ? [.. set.Order(StringComparer.Ordinal)] : [];
}
