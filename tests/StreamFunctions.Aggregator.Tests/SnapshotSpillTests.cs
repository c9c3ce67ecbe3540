using StreamFunctions.Testing;

namespace StreamFunctions.Aggregator.Tests;

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class SnapshotSpillTests(LocalAwsFixture aws)
{
    [Fact(Timeout = 60_000)]
    public async Task DynamoDbSpill_LargeSnapshot_ChunkedRoundTripThenDeleted()
    {
        using var dynamo = aws.Clients.CreateDynamoDBClient();
        var table = LocalAwsFixture.UniqueName("sfn-agg-spill");
        await DynamoDbAggregatorStateStore.CreateTableAsync(dynamo, table);
        try
        {
            var spill = new DynamoDbSnapshotSpill(dynamo, table);
            var snapshot = new byte[900 * 1024];
            new Random(5).NextBytes(snapshot);

            await spill.PutAsync("orders/shard/1/abc", snapshot);
            Assert.Equal(snapshot, await spill.GetAsync("orders/shard/1/abc"));

            await spill.DeleteAsync("orders/shard/1/abc");
            await spill.DeleteAsync("orders/shard/1/abc");
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => spill.GetAsync("orders/shard/1/abc"));
            Assert.Contains("not in", e.Message, StringComparison.Ordinal);
            Assert.Equal(0, (await dynamo.ScanAsync(new Amazon.DynamoDBv2.Model.ScanRequest { TableName = table })).Count);
        }
        finally
        {
            await dynamo.DeleteTableAsync(table);
        }
    }
}
