using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Aws;

namespace StreamFunctions.Cli.Smoke;

/// <summary>What a smoke run moved and checked.</summary>
/// <param name="RecordsIn">Records generated.</param>
/// <param name="S3RecordsOut">Records read back from the S3 object, equal to the ones written.</param>
/// <param name="S3Bytes">Size of the JSON-lines object.</param>
/// <param name="DynamoItemsOut">Items read back from DynamoDB, equal to the ones written.</param>
/// <param name="ConditionalWriteRejected">Whether a second conditional put of an existing key was rejected.</param>
/// <param name="Mismatches">Records missing, extra or different anywhere.</param>
/// <param name="Elapsed">Wall time of the run.</param>
internal sealed record SmokeReport(int RecordsIn, int S3RecordsOut, long S3Bytes, int DynamoItemsOut, bool ConditionalWriteRejected, int Mismatches, TimeSpan Elapsed)
{
    public bool Succeeded => Mismatches == 0 && ConditionalWriteRejected && S3RecordsOut == RecordsIn && DynamoItemsOut == RecordsIn;
}

/// <summary>
/// Round-trips a generated clickstream through S3 (one JSON-lines object) and DynamoDB (one item per
/// record, written with conditional puts), reads everything back, compares, and removes what it made.
/// The first end-to-end check that endpoints, region and credentials work, until the local pipeline
/// (<c>sfn run</c>) replaces it as the README's first command.
/// </summary>
internal sealed class SmokeRun(AwsSettings settings, TextWriter output)
{
    private const int DynamoBatchSize = 25; // BatchWriteItem's limit
    private static readonly DateTimeOffset BaseTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<SmokeReport> RunAsync(int records, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(records, 1);
        var clock = Stopwatch.StartNew();
        var factory = new AwsClientFactory(settings);
        using var s3 = factory.CreateS3Client();
        using var dynamo = factory.CreateDynamoDBClient();
        var name = "sfn-smoke-" + Guid.NewGuid().ToString("N")[..10];
        var generated = Generate(records);
        var expected = generated.Select(e => e.ToJson()).ToList();

        output.WriteLine($"  S3        {settings.DescribeEndpoint(AwsService.S3)}");
        output.WriteLine($"  DynamoDB  {settings.DescribeEndpoint(AwsService.DynamoDB)}");
        output.WriteLine($"  region    {settings.Region} (from {settings.RegionSource}); credentials from {settings.CredentialSourceFor(AwsService.S3)}");

        try
        {
            await s3.PutBucketAsync(name, cancellationToken).ConfigureAwait(false);
            await DynamoDbTables.CreateAsync(dynamo, name, "eventId", TimeSpan.FromMinutes(2), cancellationToken: cancellationToken).ConfigureAwait(false);
            var (s3Out, bytes, s3Mismatches) = await RoundTripS3Async(s3, name, expected, cancellationToken).ConfigureAwait(false);
            var (dynamoOut, rejected, dynamoMismatches) = await RoundTripDynamoAsync(dynamo, name, generated, expected, cancellationToken).ConfigureAwait(false);
            return new SmokeReport(records, s3Out, bytes, dynamoOut, rejected, s3Mismatches + dynamoMismatches, clock.Elapsed);
        }
        finally
        {
            await CleanUpAsync(s3, dynamo, name).ConfigureAwait(false);
        }
    }

    internal static List<ClickEvent> Generate(int count)
    {
        var random = new Random(20261122);
        var pages = new[] { "/", "/search", "/products", "/cart", "/checkout" };
        var events = new List<ClickEvent>(count);
        for (var i = 0; i < count; i++)
        {
            events.Add(new ClickEvent(
                $"e-{i:D8}",
                $"u-{random.Next(0, Math.Max(1, count / 10)):D5}",
                pages[random.Next(pages.Length)],
                BaseTime.AddMilliseconds(i * 37L)));
        }

        return events;
    }

    private async Task<(int Out, long Bytes, int Mismatches)> RoundTripS3Async(IAmazonS3 s3, string bucket, List<string> expected, CancellationToken cancellationToken)
    {
        var body = new StringBuilder();
        foreach (var line in expected)
        {
            body.Append(line).Append('\n');
        }

        var key = "smoke/" + BaseTime.ToString("yyyy/MM/dd/HH", CultureInfo.InvariantCulture) + "/records.jsonl";
        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        await s3.PutBytesAsync(bucket, key, bytes, "application/x-ndjson", cancellationToken: cancellationToken).ConfigureAwait(false);

        output.WriteLine($"  ok  wrote {expected.Count:N0} records ({bytes.Length:N0} bytes of JSON lines) to s3://{bucket}/{key}");
        using var got = await s3.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(got.ResponseStream, Encoding.UTF8);
        var lines = (await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var mismatches = Compare(expected, [.. lines]);
        output.WriteLine($"  {(mismatches == 0 ? "ok" : "FAIL")}  read back {lines.Length:N0} records from S3, {mismatches} mismatched");
        return (lines.Length, bytes.Length, mismatches);
    }

    private async Task<(int Out, bool Rejected, int Mismatches)> RoundTripDynamoAsync(IAmazonDynamoDB dynamo, string table, List<ClickEvent> events, List<string> expected, CancellationToken cancellationToken)
    {
        foreach (var chunk in events.Chunk(DynamoBatchSize))
        {
            List<WriteRequest> pending = [.. chunk.Select(e => new WriteRequest(new PutRequest(e.ToItem())))];
            for (var attempt = 0; pending.Count > 0; attempt++)
            {
                if (attempt > 0)
                {
                    // Unprocessed items are throttling, not errors: back off and resend only those.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 << Math.Min(attempt, 5))), cancellationToken).ConfigureAwait(false);
                }

                var result = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = new() { [table] = pending } }, cancellationToken).ConfigureAwait(false);
                pending = result.UnprocessedItems?.GetValueOrDefault(table) ?? [];
            }
        }

        output.WriteLine($"  ok  wrote {events.Count:N0} items to DynamoDB table {table}");

        var rejected = false;
        try
        {
            var duplicate = events[0].ToItem();
            duplicate["page"] = new AttributeValue("/overwritten");
            await dynamo.PutItemAsync(new PutItemRequest { TableName = table, Item = duplicate, ConditionExpression = "attribute_not_exists(eventId)" }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException)
        {
            rejected = true;
        }

        output.WriteLine($"  {(rejected ? "ok" : "FAIL")}  a conditional put over an existing item was {(rejected ? "rejected" : "ACCEPTED")}");

        var read = new List<string>(events.Count);
        Dictionary<string, AttributeValue>? startKey = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest { TableName = table, ConsistentRead = true, ExclusiveStartKey = startKey }, cancellationToken).ConfigureAwait(false);
            read.AddRange(page.Items.Select(ClickEvent.FromItem).Select(e => e.ToJson()));
            startKey = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (startKey is not null);

        read.Sort(StringComparer.Ordinal);
        var mismatches = Compare([.. expected.Order(StringComparer.Ordinal)], read);
        output.WriteLine($"  {(mismatches == 0 ? "ok" : "FAIL")}  read back {read.Count:N0} items with consistent reads, {mismatches} mismatched");
        return (read.Count, rejected, mismatches);
    }

    private static int Compare(List<string> expected, List<string> actual)
    {
        var mismatches = Math.Abs(expected.Count - actual.Count);
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            if (!string.Equals(expected[i], actual[i], StringComparison.Ordinal))
            {
                mismatches++;
            }
        }

        return mismatches;
    }

    private async Task CleanUpAsync(IAmazonS3 s3, IAmazonDynamoDB dynamo, string name)
    {
        // Cleanup runs even after a failure or Ctrl+C, also when only one of the two was created; its
        // own failure is reported, never hidden.
        var removed = new List<string>(2);
        try
        {
            try
            {
                var objects = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = name }).ConfigureAwait(false);
                foreach (var o in objects.S3Objects ?? [])
                {
                    await s3.DeleteObjectAsync(name, o.Key).ConfigureAwait(false);
                }

                await s3.DeleteBucketAsync(name).ConfigureAwait(false);
                removed.Add("bucket");
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
            {
                // Never created: the run failed before.
            }

            try
            {
                await dynamo.DeleteTableAsync(name).ConfigureAwait(false);
                removed.Add("table");
            }
            catch (ResourceNotFoundException)
            {
                // Never created: the run failed before.
            }

            output.WriteLine(removed.Count > 0 ? $"  ok  removed {string.Join(" and ", removed)} {name}" : $"  ok  nothing to remove ({name} was not created)");
        }
        catch (AmazonServiceException e) when (e is AmazonS3Exception or AmazonDynamoDBException)
        {
            output.WriteLine($"  warn  could not remove bucket/table {name}: {e.ErrorCode}: {e.Message}");
        }
    }
}

/// <summary>One generated clickstream event.</summary>
internal sealed record ClickEvent(string EventId, string UserId, string Page, DateTimeOffset Timestamp)
{
    public string ToJson() =>
        $$"""{"eventId":"{{EventId}}","userId":"{{UserId}}","page":"{{Page}}","ts":"{{Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}}"}""";

    public Dictionary<string, AttributeValue> ToItem() => new()
    {
        ["eventId"] = new AttributeValue(EventId),
        ["userId"] = new AttributeValue(UserId),
        ["page"] = new AttributeValue(Page),
        ["ts"] = new AttributeValue { N = Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) },
    };

    public static ClickEvent FromItem(Dictionary<string, AttributeValue> item) => new(
        item["eventId"].S,
        item["userId"].S,
        item["page"].S,
        DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(item["ts"].N, CultureInfo.InvariantCulture)));
}
