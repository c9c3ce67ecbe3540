using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace StreamFunctions.Aggregator;

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
