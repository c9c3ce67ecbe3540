using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StreamFunctions.Local.Lambda;
using StreamFunctions.Testing;

namespace StreamFunctions.Template.Tests;

/// <summary>
/// The tools a deployment goes through: cfn-lint 1.51 (the Python one in the machine image) on template.yaml with no
/// finding beyond the ignores .cfnlintrc.yaml explains, AWS's SAM translator turning it into CloudFormation, and
/// <c>sam build</c>'s Makefile target producing a Native AOT bootstrap that answers a Lambda invocation.
/// </summary>
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class TemplateToolingTests
{
    private static readonly string Root = RepositoryPaths.Root();

    [Fact(Timeout = 300_000)]
    public async Task CfnLint_Version151_FindsNothing()
    {
        var (_, version) = await RunAsync("cfn-lint", ["--version"], Root);
        Assert.StartsWith("cfn-lint 1.51.", version.Trim(), StringComparison.Ordinal);

        // From the root, cfn-lint reads .cfnlintrc.yaml: the template and the ignored checks, each with its reason.
        var (exit, output) = await RunAsync("cfn-lint", ["--format", "parseable"], Root);

        Assert.True(exit == 0 && output.Trim().Length == 0, $"cfn-lint exited {exit}:\n{output}");
    }

    [Fact(Timeout = 300_000)]
    public async Task CfnLint_ATemplateError_IsFound()
    {
        // The same run fails on a real error: the lint is not silenced wholesale.
        var broken = Path.Combine(Path.GetTempPath(), "sfn-template-" + Guid.NewGuid().ToString("N") + ".yaml");
        try
        {
            await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(Path.Combine(Root, "template.yaml"))).Replace("      Timeout: 300\n", "      Timeout: 300\n      MemorySizes: 512\n", StringComparison.Ordinal));

            var (exit, output) = await RunAsync("cfn-lint", ["--format", "parseable", "--config-file", ".cfnlintrc.yaml", "--", broken], Root);

            Assert.NotEqual(0, exit);
            Assert.Contains("MemorySizes", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Theory(Timeout = 300_000)]
    [InlineData("GatewayAuth=iam")]
    [InlineData("GatewayAuth=apikey")]
    [InlineData("KafkaSource=msk")]
    public async Task SamTranslator_TransformsTheTemplate(string parameter)
    {
        var (exit, output) = await RunAsync("python3", [Path.Combine("tools", "template-lint", "sam_translate.py"), "template.yaml", parameter], Root);

        Assert.True(exit == 0, "the SAM translator refused template.yaml:\n" + output);
        using var resources = JsonDocument.Parse(output);
        var root = resources.RootElement;
        Assert.Equal("AWS::Lambda::Url", root.GetProperty("GatewayFunctionUrl").GetProperty("Type").GetString());
        Assert.Equal(
            """{"Fn::If":["GatewayUsesApiKey",{"Ref":"GatewayReservedConcurrency"},{"Ref":"AWS::NoValue"}]}""",
            root.GetProperty("GatewayFunction").GetProperty("Properties").GetProperty("ReservedConcurrentExecutions").GetRawText());
        var sinkStatements = root.GetProperty("S3SinkFunctionRole").GetProperty("Properties").GetProperty("Policies")[0].GetProperty("PolicyDocument").GetProperty("Statement");
        var objects = sinkStatements.EnumerateArray().Single(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("Sid", out var sid) && sid.GetString() == "Objects");
        Assert.Equal(4, objects.GetProperty("Resource").GetArrayLength());
        Assert.True(root.TryGetProperty("SinkMskMapping", out _), "the MSK mapping is translated");
    }

    [Fact(Timeout = 600_000)]
    public async Task Makefile_TransformTargetBuildsANativeAotBootstrap_ThatAnswersAFirehoseEvent()
    {
        var artifacts = Path.Combine(Path.GetTempPath(), "sfn-aot-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exit, log) = await RunAsync("make", ["build-TransformFunction", $"ARTIFACTS_DIR={artifacts}"], Root);
            Assert.True(exit == 0, "make build-TransformFunction failed:\n" + log);
            Assert.Equal(["bootstrap"], Directory.GetFiles(artifacts).Select(Path.GetFileName));
            Assert.Contains("PublishAot=true", log, StringComparison.Ordinal);

            // The documented sample event (its record is not JSON) plus a JSON click.
            var evnt = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Root, "events", "firehose-transformation.json")))!;
            var records = evnt["records"]!.AsArray();
            var click = records[0]!.DeepClone();
            click["recordId"] = "click-1";
            click["data"] = Convert.ToBase64String("""{"type":"click","user":{"id":"u7"},"page":"/cart","timestamp":"2026-11-23T00:00:00Z","secret":"s"}"""u8);
            records.Add(click);
            var environment = new Dictionary<string, string> { ["TRANSFORM_CONFIG"] = await File.ReadAllTextAsync(Path.Combine(Root, "functions", "Transform", "transform.example.json")) };
            await using var function = new ProcessLambdaInvoker(Path.Combine(artifacts, "bootstrap"), new LocalFunctionOptions { FunctionName = "Transform", Timeout = TimeSpan.FromSeconds(30), Environment = environment }, TextWriter.Null);

            var result = await function.InvokeAsync(Encoding.UTF8.GetBytes(evnt.ToJsonString()));

            Assert.True(result.Succeeded, Encoding.UTF8.GetString(result.Payload.Span));
            using var response = JsonDocument.Parse(result.Payload);
            var answers = response.RootElement.GetProperty("records").EnumerateArray().ToDictionary(r => r.GetProperty("recordId").GetString()!, r => r);
            Assert.Equal(records.Count, answers.Count);
            Assert.Equal("ProcessingFailed", answers[records[0]!["recordId"]!.GetValue<string>()].GetProperty("result").GetString());
            var ok = answers["click-1"];
            Assert.Equal("Ok", ok.GetProperty("result").GetString());
            Assert.Equal("click", ok.GetProperty("metadata").GetProperty("partitionKeys").GetProperty("type").GetString());
            Assert.Equal("""{"user":"u7","page":"/cart","type":"click","at":"2026-11-23T00:00:00Z"}""" + "\n", Encoding.UTF8.GetString(ok.GetProperty("data").GetBytesFromBase64()));
        }
        finally
        {
            if (Directory.Exists(artifacts))
            {
                Directory.Delete(artifacts, recursive: true);
            }
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, string[] arguments, string directory)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
