using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using StreamFunctions.Cli.Commands;
using StreamFunctions.Cli.Run;
using StreamFunctions.Testing;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>
/// The same pipeline on real AWS APIs (<c>sfn run --against environment</c>): Kinesis, DynamoDB and S3 at the
/// emulators' AWS_ENDPOINT_URL_* endpoints; the objects are read back from S3.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class RunAgainstEmulatorsTests(LocalAwsFixture aws)
{
    [Fact(Timeout = 300_000)]
    public async Task Run_AgainstTheEmulatorsEndpoints_SummaryMatchesTheBucket()
    {
        const int Records = 2_000;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunCommand.RunAsync(null, Records, "unused", null, output, error, interactive: false, CancellationToken.None, RunCommand.Environment, aws.Settings);

        var text = output.ToString();
        Assert.True(exit == 0, text + "\n" + error);
        Assert.Contains("the environment's endpoints", text, StringComparison.Ordinal);
        var bucket = Regex.Match(text, @"in s3://([a-z0-9.-]+)").Groups[1].Value;
        using var s3 = aws.Clients.CreateS3Client();
        var all = await ListAsync(s3, bucket, string.Empty);
        try
        {
            var objects = new Dictionary<string, List<(string, List<string>)>>(StringComparer.Ordinal);
            foreach (var prefix in new[] { "clicks", "errors", "results", "late", "dlq" })
            {
                var lines = new List<(string, List<string>)>();
                foreach (var key in all.Where(k => k.StartsWith(prefix + "/", StringComparison.Ordinal)))
                {
                    lines.Add((key, await ToListAsync(PipelineOutput.JsonLinesAsync(s3, bucket, key))));
                }

                objects[prefix] = lines;
            }

            RunOutput.Verify(text, Records, prefix => objects[prefix]);
            Assert.Equal(all.Count, RunOutput.Number(text, @"objects\s+([\d,]+)"));
        }
        finally
        {
            foreach (var key in all)
            {
                await s3.DeleteObjectAsync(bucket, key);
            }

            await s3.DeleteBucketAsync(bucket);
        }
    }

    private static async Task<List<string>> ListAsync(IAmazonS3 s3, string bucket, string prefix)
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token });
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
        return keys;
    }

    private static async Task<List<string>> ToListAsync(IAsyncEnumerable<string> lines)
    {
        var list = new List<string>();
        await foreach (var line in lines)
        {
            list.Add(line);
        }

        return list;
    }
}
