using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace StreamFunctions.Aws;

/// <summary>Creating the project's DynamoDB tables where nothing else does (tests, the local pipeline, KCL-style self-provisioning).</summary>
public static class DynamoDbTables
{
    /// <summary>
    /// Creates an on-demand table with one string hash key and waits until it is ACTIVE. With
    /// <paramref name="ifNotExists"/>, an existing table is used as it is.
    /// </summary>
    /// <param name="dynamo">The client.</param>
    /// <param name="table">The table's name.</param>
    /// <param name="hashKey">The hash key attribute (a string).</param>
    /// <param name="timeout">How long to wait for ACTIVE.</param>
    /// <param name="ifNotExists">Use an existing table instead of failing.</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>True when this call created the table.</returns>
    /// <exception cref="TimeoutException">The table did not become ACTIVE in time.</exception>
    public static async Task<bool> CreateAsync(IAmazonDynamoDB dynamo, string table, string hashKey, TimeSpan timeout, bool ifNotExists = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        var created = false;
        try
        {
            await dynamo.CreateTableAsync(new CreateTableRequest
            {
                TableName = table,
                AttributeDefinitions = [new AttributeDefinition(hashKey, ScalarAttributeType.S)],
                KeySchema = [new KeySchemaElement(hashKey, KeyType.HASH)],
                BillingMode = BillingMode.PAY_PER_REQUEST,
            }, cancellationToken).ConfigureAwait(false);
            created = true;
        }
        catch (ResourceInUseException) when (ifNotExists)
        {
            // It exists: use it.
        }

        var polls = Math.Max(1, (int)(timeout.TotalMilliseconds / 100));
        for (var i = 0; i < polls; i++)
        {
            var description = await dynamo.DescribeTableAsync(table, cancellationToken).ConfigureAwait(false);
            if (description.Table.TableStatus == TableStatus.ACTIVE)
            {
                return created;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"DynamoDB table {table} did not become ACTIVE within {timeout.TotalSeconds:0} s.");
    }
}
