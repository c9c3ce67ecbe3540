using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Testing;

namespace StreamFunctions.Functions.Tests;

/// <summary>The Transform function under the Runtime API protocol, answering Firehose's transformation contract.</summary>
public sealed class TransformFunctionTests
{
    private static readonly string Root = RepositoryPaths.Root();

    [Fact(Timeout = 60_000)]
    public async Task Invoke_WithoutTransformConfig_PassesEveryRecordThroughOkAndUnchanged()
    {
        // The documented sample (its record is not JSON), a JSON record and an empty one.
        var evnt = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Root, "events", "firehose-transformation.json")))!;
        var records = evnt["records"]!.AsArray();
        foreach (var (id, data) in new[] { ("json-1", """{"type":"click","user":{"id":"u7"}}"""), ("empty-2", string.Empty) })
        {
            var record = records[0]!.DeepClone();
            record["recordId"] = id;
            record["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(data));
            records.Add(record);
        }

        await using var function = new ProcessLambdaInvoker(RepositoryPaths.FunctionBootstrap("Transform"), new LocalFunctionOptions { FunctionName = "Transform", Timeout = TimeSpan.FromSeconds(30) });

        var result = await function.InvokeAsync(Encoding.UTF8.GetBytes(evnt.ToJsonString()));

        Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
        using var response = JsonDocument.Parse(result.Payload);
        var answers = response.RootElement.GetProperty("records").EnumerateArray().ToList();
        Assert.Equal(records.Select(r => r!["recordId"]!.GetValue<string>()), answers.Select(a => a.GetProperty("recordId").GetString()));
        foreach (var (answer, record) in answers.Zip(records))
        {
            Assert.Equal("Ok", answer.GetProperty("result").GetString());
            Assert.Equal(record!["data"]!.GetValue<string>(), answer.GetProperty("data").GetString());
            Assert.False(answer.TryGetProperty("metadata", out var metadata) && metadata.ValueKind != JsonValueKind.Null, "a pass-through gives no partition keys");
        }
    }
}
