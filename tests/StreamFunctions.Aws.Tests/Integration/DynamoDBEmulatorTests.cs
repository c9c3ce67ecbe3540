using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using StreamFunctions.Testing;

namespace StreamFunctions.Aws.Tests.Integration;

[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class DynamoDBEmulatorTests(LocalAwsFixture aws) : IAsyncLifetime, IDisposable
{
    private readonly IAmazonDynamoDB _dynamo = aws.Clients.CreateDynamoDBClient();
    private readonly string _table = LocalAwsFixture.UniqueName("sfn-test");

    public async Task InitializeAsync()
    {
        // The shape of a lease table: hash key leaseKey, on-demand billing.
        await _dynamo.CreateTableAsync(new CreateTableRequest
        {
            TableName = _table,
            AttributeDefinitions = [new AttributeDefinition("leaseKey", ScalarAttributeType.S), new AttributeDefinition("sortKey", ScalarAttributeType.N)],
            KeySchema = [new KeySchemaElement("leaseKey", KeyType.HASH), new KeySchemaElement("sortKey", KeyType.RANGE)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });
        for (var i = 0; i < 100; i++)
        {
            var table = await _dynamo.DescribeTableAsync(_table);
            if (table.Table.TableStatus == TableStatus.ACTIVE)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Table {_table} did not become ACTIVE.");
    }

    public async Task DisposeAsync() => await _dynamo.DeleteTableAsync(_table);

    public void Dispose() => _dynamo.Dispose();

    private static Dictionary<string, AttributeValue> Key(string leaseKey, int sortKey = 0) => new()
    {
        ["leaseKey"] = new AttributeValue(leaseKey),
        ["sortKey"] = new AttributeValue { N = sortKey.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    [Fact]
    public async Task PutItem_ThenConsistentGet_ReadsItBack()
    {
        var item = Key("shardId-000000000001");
        item["leaseOwner"] = new AttributeValue("worker-a");
        item["leaseCounter"] = new AttributeValue { N = "1" };
        await _dynamo.PutItemAsync(_table, item);

        var got = await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = Key("shardId-000000000001"), ConsistentRead = true });

        Assert.Equal("worker-a", got.Item["leaseOwner"].S);
        Assert.Equal("1", got.Item["leaseCounter"].N);
    }

    [Fact]
    public async Task PutItem_WithAttributeNotExists_RejectsTheSecondWriteAndKeepsTheFirst()
    {
        var first = Key("shardId-000000000002");
        first["leaseOwner"] = new AttributeValue("worker-a");
        var second = Key("shardId-000000000002");
        second["leaseOwner"] = new AttributeValue("worker-b");
        await _dynamo.PutItemAsync(new PutItemRequest { TableName = _table, Item = first, ConditionExpression = "attribute_not_exists(leaseKey)" });

        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() =>
            _dynamo.PutItemAsync(new PutItemRequest { TableName = _table, Item = second, ConditionExpression = "attribute_not_exists(leaseKey)" }));

        var got = await _dynamo.GetItemAsync(new GetItemRequest { TableName = _table, Key = Key("shardId-000000000002"), ConsistentRead = true });
        Assert.Equal("worker-a", got.Item["leaseOwner"].S);
    }

    [Fact]
    public async Task UpdateItem_WithStaleCounter_IsRejected()
    {
        var item = Key("shardId-000000000003");
        item["leaseCounter"] = new AttributeValue { N = "5" };
        await _dynamo.PutItemAsync(_table, item);

        UpdateItemRequest Renew(string expected) => new()
        {
            TableName = _table,
            Key = Key("shardId-000000000003"),
            UpdateExpression = "SET leaseCounter = leaseCounter + :one",
            ConditionExpression = "leaseCounter = :expected",
            ExpressionAttributeValues = new() { [":one"] = new AttributeValue { N = "1" }, [":expected"] = new AttributeValue { N = expected } },
            ReturnValues = ReturnValue.ALL_NEW,
        };

        var renewed = await _dynamo.UpdateItemAsync(Renew("5"));
        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => _dynamo.UpdateItemAsync(Renew("5")));

        Assert.Equal("6", renewed.Attributes["leaseCounter"].N);
    }

    [Fact]
    public async Task Query_ByHashKey_ReturnsItemsInSortKeyOrder()
    {
        foreach (var sortKey in new[] { 3, 1, 2 })
        {
            await _dynamo.PutItemAsync(_table, Key("window-a", sortKey));
        }

        var result = await _dynamo.QueryAsync(new QueryRequest
        {
            TableName = _table,
            KeyConditionExpression = "leaseKey = :k",
            ExpressionAttributeValues = new() { [":k"] = new AttributeValue("window-a") },
            ConsistentRead = true,
        });

        Assert.Equal(["1", "2", "3"], result.Items.Select(i => i["sortKey"].N));
    }
}
