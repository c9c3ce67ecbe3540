using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Aws.Kinesis;
using StreamFunctions.Cli.Commands;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Local.Leases;
using StreamFunctions.Testing;

namespace StreamFunctions.Cli.Tests.Status;

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class StatusCommandTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly IAmazonDynamoDB _dynamo = aws.Clients.CreateDynamoDBClient();
    private readonly string _table = LocalAwsFixture.UniqueName("kcl-app");

    public async Task InitializeAsync() => await new LeaseTable(_dynamo, _table).CreateIfNotExistsAsync();

    public async Task DisposeAsync() => await _dynamo.DeleteTableAsync(_table);

    public void Dispose() => _dynamo.Dispose();

    [Fact]
    public async Task Run_TableWrittenByKcl_PrintsShardsOwnersCountersCheckpointsAndLineage()
    {
        // Items exactly as a KCL application writes them.
        await _dynamo.PutItemAsync(_table, new Dictionary<string, AttributeValue>
        {
            ["leaseKey"] = new() { S = "shardId-000000000000" },
            ["leaseCounter"] = new() { N = "4711" },
            ["ownerSwitchesSinceCheckpoint"] = new() { N = "0" },
            ["checkpoint"] = new() { S = "SHARD_END" },
            ["checkpointSubSequenceNumber"] = new() { N = "0" },
            ["childShardIds"] = new() { SS = ["shardId-000000000001", "shardId-000000000002"] },
        });
        await _dynamo.PutItemAsync(_table, new Dictionary<string, AttributeValue>
        {
            ["leaseKey"] = new() { S = "shardId-000000000001" },
            ["leaseOwner"] = new() { S = "ip-10-0-0-12:7e1c" },
            ["leaseCounter"] = new() { N = "93" },
            ["ownerSwitchesSinceCheckpoint"] = new() { N = "1" },
            ["checkpoint"] = new() { S = "49590338271490256608559692538361571095921575989136588898" },
            ["checkpointSubSequenceNumber"] = new() { N = "2" },
            ["parentShardId"] = new() { SS = ["shardId-000000000000"] },
            ["startingHashKey"] = new() { S = "0" },
            ["endingHashKey"] = new() { S = "170141183460469231731687303715884105727" },
        });
        await _dynamo.PutItemAsync(_table, new Dictionary<string, AttributeValue>
        {
            ["leaseKey"] = new() { S = "shardId-000000000002" },
            ["leaseCounter"] = new() { N = "0" },
            ["ownerSwitchesSinceCheckpoint"] = new() { N = "0" },
            ["checkpoint"] = new() { S = "TRIM_HORIZON" },
            ["checkpointSubSequenceNumber"] = new() { N = "0" },
            ["parentShardId"] = new() { SS = ["shardId-000000000000"] },
        });
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await StatusCommand.RunAsync(aws.Settings, _table, null, output, error, CancellationToken.None);

        Assert.Equal(0, exit);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("3 leases, 1 owned, 1 unowned, 1 finished", lines[0], StringComparison.Ordinal);
        var owned = Assert.Single(lines, l => l.StartsWith("shardId-000000000001", StringComparison.Ordinal));
        Assert.Contains("ip-10-0-0-12:7e1c", owned, StringComparison.Ordinal);
        Assert.Contains("49590338271490256608559692538361571095921575989136588898.2", owned, StringComparison.Ordinal);
        Assert.Contains("shardId-000000000000 -> -", owned, StringComparison.Ordinal);
        Assert.Contains("finished", Assert.Single(lines, l => l.StartsWith("shardId-000000000000", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("unowned", Assert.Single(lines, l => l.StartsWith("shardId-000000000002", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WithStream_ListsShardsWithoutALease()
    {
        using var kinesis = KinesisClient.Create(aws.Settings);
        var stream = LocalAwsFixture.UniqueName("status");
        await StreamFunctions.KinesisApi.StreamSetup.CreateActiveAsync(kinesis, stream, 2);

        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await StatusCommand.RunAsync(aws.Settings, _table, stream, output, error, CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Contains("2 shards without a lease", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("no-lease", output.ToString(), StringComparison.Ordinal);
        await kinesis.DeleteStreamAsync(new DeleteStreamRequest(stream));
    }

    [Fact]
    public async Task Run_WithStream_ShowsHowFarEachCheckpointIsBehind()
    {
        // Shard 0's checkpoint is at its first record (four more wait); shard 1's at its last (caught up).
        using var kinesis = KinesisClient.Create(aws.Settings);
        var stream = LocalAwsFixture.UniqueName("status-lag");
        await StreamFunctions.KinesisApi.StreamSetup.CreateActiveAsync(kinesis, stream, 2);
        var shards = (await kinesis.ListShardsAsync(new ListShardsRequest(stream))).Shards;
        var sequences = new Dictionary<string, List<string>>();
        foreach (var shard in shards)
        {
            for (var i = 0; i < 5; i++)
            {
                var put = await kinesis.PutRecordAsync(new PutRecordRequest(stream, "k"u8.ToArray(), "k", ExplicitHashKey: shard.HashKeyRange.StartingHashKey.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                (sequences.TryGetValue(shard.ShardId, out var list) ? list : sequences[shard.ShardId] = []).Add(put.SequenceNumber);
            }
        }

        foreach (var (shard, checkpoint) in new[] { (shards[0].ShardId, sequences[shards[0].ShardId][0]), (shards[1].ShardId, sequences[shards[1].ShardId][^1]) })
        {
            await _dynamo.PutItemAsync(_table, new Dictionary<string, AttributeValue>
            {
                ["leaseKey"] = new() { S = shard },
                ["leaseOwner"] = new() { S = "worker-1" },
                ["leaseCounter"] = new() { N = "1" },
                ["ownerSwitchesSinceCheckpoint"] = new() { N = "0" },
                ["checkpoint"] = new() { S = checkpoint },
                ["checkpointSubSequenceNumber"] = new() { N = "0" },
            });
        }

        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await StatusCommand.RunAsync(aws.Settings, _table, stream, output, error, CancellationToken.None);

        Assert.True(exit == 0, error.ToString());
        var lines = output.ToString().Split('\n');
        Assert.DoesNotContain("caught up", Assert.Single(lines, l => l.StartsWith(shards[0].ShardId, StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Matches(@" (\d[\d,]*|\d+\.\d) (ms|min) ", Assert.Single(lines, l => l.StartsWith(shards[0].ShardId, StringComparison.Ordinal)));
        Assert.Contains("caught up", Assert.Single(lines, l => l.StartsWith(shards[1].ShardId, StringComparison.Ordinal)), StringComparison.Ordinal);
        await kinesis.DeleteStreamAsync(new DeleteStreamRequest(stream));
    }

    [Fact]
    public async Task Run_MissingTable_FailsWithAClearError()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await StatusCommand.RunAsync(aws.Settings, "no-such-table-" + Guid.NewGuid().ToString("N"), null, output, error, CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains("does not exist", error.ToString(), StringComparison.Ordinal);
    }
}
