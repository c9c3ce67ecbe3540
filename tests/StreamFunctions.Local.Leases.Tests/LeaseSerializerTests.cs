using Amazon.DynamoDBv2.Model;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.Leases.Exceptions;
using StreamFunctions.Local.Leases.Internal;

namespace StreamFunctions.Local.Leases.Tests;

public sealed class LeaseSerializerTests
{
    // An item as KCL 2.x writes it (DynamoDBLeaseSerializer): parentShardId is a string set,
    // counters and sub-sequence numbers are numbers, hash keys are decimal strings.
    public static Dictionary<string, AttributeValue> KclItem() => new()
    {
        ["leaseKey"] = new() { S = "shardId-000000000002" },
        ["leaseOwner"] = new() { S = "worker-a:1f2e" },
        ["leaseCounter"] = new() { N = "1234" },
        ["ownerSwitchesSinceCheckpoint"] = new() { N = "2" },
        ["checkpoint"] = new() { S = "49590338271490256608559692538361571095921575989136588898" },
        ["checkpointSubSequenceNumber"] = new() { N = "3" },
        ["parentShardId"] = new() { SS = ["shardId-000000000000", "shardId-000000000001"] },
        ["startingHashKey"] = new() { S = "0" },
        ["endingHashKey"] = new() { S = "340282366920938463463374607431768211455" },
    };

    [Fact]
    public void FromItem_KclWrittenItem_ReadsEveryField()
    {
        var lease = LeaseSerializer.FromItem(KclItem());

        Assert.Equal("shardId-000000000002", lease.LeaseKey);
        Assert.Equal("worker-a:1f2e", lease.LeaseOwner);
        Assert.Equal(1234, lease.LeaseCounter);
        Assert.Equal(2, lease.OwnerSwitchesSinceCheckpoint);
        Assert.Equal(new ExtendedSequenceNumber("49590338271490256608559692538361571095921575989136588898", 3), lease.Checkpoint);
        Assert.Equal(["shardId-000000000000", "shardId-000000000001"], lease.ParentShardIds);
        Assert.Equal(new HashKeyRange(UInt128.Zero, UInt128.MaxValue), lease.HashKeyRange);
        Assert.Null(lease.PendingCheckpoint);
    }

    [Fact]
    public void ToItem_OfReadItem_GivesKclsItemBack()
    {
        var item = LeaseSerializer.ToItem(LeaseSerializer.FromItem(KclItem()));

        Assert.Equal(KclItem().Keys.Order(), item.Keys.Order());
        Assert.Equal("1234", item["leaseCounter"].N);
        Assert.Equal(["shardId-000000000000", "shardId-000000000001"], item["parentShardId"].SS);
    }

    [Fact]
    public void FromItem_FreeLeaseWithoutOwner_HasNullOwner()
    {
        var item = KclItem();
        item.Remove("leaseOwner");

        Assert.Null(LeaseSerializer.FromItem(item).LeaseOwner);
    }

    [Fact]
    public void FromItem_CounterNotANumber_ThrowsNamingTheLease()
    {
        var item = KclItem();
        item["leaseCounter"] = new() { N = "x" };

        var error = Assert.Throws<MalformedLeaseException>(() => LeaseSerializer.FromItem(item));

        Assert.Equal("shardId-000000000002", error.LeaseKey);
    }
}
