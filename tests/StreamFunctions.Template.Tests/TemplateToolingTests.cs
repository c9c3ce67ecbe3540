using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StreamFunctions.Lambda.Local;
using StreamFunctions.Testing;

namespace StreamFunctions.Template.Tests;

/// <summary>
/// The tools a deployment goes through: cfn-lint on template.yaml (beyond the gaps of its older specification,
/// each listed with the reason), and <c>sam build</c>'s Makefile target producing a Native AOT bootstrap that
/// answers a Lambda invocation.
/// </summary>
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed partial class TemplateToolingTests
{
    private static readonly string Root = RepositoryPaths.Root();

    // cfn-lint 1.9.7 (the npm package that installs here) carries a CloudFormation/SAM specification older than
    // what the template uses. Each finding below is such a gap, not an error of the template.
    private static readonly (Regex Finding, string Reason)[] SpecificationGaps =
    [
        (Gap(@"(ParallelizationFactor|MaximumRetryAttempts|MaximumRecordAgeInSeconds|MaximumBatchingWindowInSeconds|FunctionResponseTypes|DestinationConfig|BisectBatchOnFunctionError|FilterCriteria) is not a valid property of AWS::Serverless::Function\.KinesisEvent"), "SAM's Kinesis event has had these since 2019–2021"),
        (Gap(@"FunctionResponseTypes is not a valid property of AWS::Serverless::Function\.SQSEvent"), "SAM's SQS event has had it since 2021"),
        (Gap(@"FunctionUrlConfig is not a valid property of AWS::Serverless::Function"), "Function URLs (2022)"),
        (Gap(@"No resource with logical name of GatewayFunctionUrl!"), "SAM generates <Function>Url from FunctionUrlConfig"),
        (Gap(@"Invalid or unsupported SAM Globals property name: Architectures"), "Globals take Architectures since 2021"),
        (Gap(@"Globals > Function > (Architectures > 0|KmsKeyArn) \| Intrinsic function (Ref|Fn::If) is not supported here"), "SAM copies Globals into each function before CloudFormation resolves intrinsics"),
        (Gap(@"(Topics|MaximumBatchingWindowInSeconds|SourceAccessConfigurations|SelfManagedEventSource) is not a valid property of AWS::Lambda::EventSourceMapping"), "Kafka mappings' properties (2020–2021)"),
        (Gap(@"SelfManagedKafkaMapping .*Required property EventSourceArn missing"), "a self-managed Kafka mapping has SelfManagedEventSource instead of an ARN"),
        (Gap(@"MskMapping > Properties > EventSourceArn \| Expecting an ARN, got ''"), "the mapping exists only with KafkaSource=msk, when the ARN is given"),
        (Gap(@"(SSEType|KMSMasterKeyId) is not a valid property of AWS::DynamoDB::Table\.SSESpecification"), "DynamoDB customer-managed keys (2018)"),
        (Gap(@"SqsManagedSseEnabled is not a valid property of AWS::SQS::Queue"), "SQS-managed SSE (2021)"),
        (Gap(@"(OwnershipControls is not a valid property of AWS::S3::Bucket|BucketKeyEnabled is not a valid property|NoncurrentVersionExpiration is not a valid property of AWS::S3::Bucket\.Rule)"), "S3 properties added 2020–2021"),
        (Gap(@"Conditions > HasAggregatorAnd\w+ \| (Unhandled Intrinsic Function Fn::And|Condition did not resolve to a boolean value, got null)"), "this cfn-lint does not evaluate Fn::And"),
        (Gap(@"RouterDestinationStreamArns contains a CommaDelimitedList where the number of commas"), "the empty default is used only when no router is deployed"),
    ];

    [Fact(Timeout = 300_000)]
    public async Task CfnLint_NoFindingsBeyondTheKnownSpecificationGaps()
    {
        var lint = Path.Combine(Root, "tools", "template-lint");
        if (!File.Exists(Path.Combine(lint, "node_modules", ".bin", "cfn-lint")))
        {
            var (install, installOutput) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--prefix", lint], Root);
            Assert.True(install == 0, "npm ci of tools/template-lint failed:\n" + installOutput);
        }

        var (_, output) = await RunAsync(Path.Combine(lint, "node_modules", ".bin", "cfn-lint"), ["validate", "template.yaml", "--verbose"], Root);
        var text = AnsiCodes().Replace(output, string.Empty);
        Assert.DoesNotContain("Unable to parse template", text, StringComparison.Ordinal);
        var findings = Regex.Matches(text, @"^Resource: (.+)\nMessage: (.+)$", RegexOptions.Multiline).Select(m => $"{m.Groups[1].Value} | {m.Groups[2].Value}").ToList();
        Assert.NotEmpty(findings);
        var unexplained = findings.Where(f => !SpecificationGaps.Any(g => g.Finding.IsMatch(f))).Distinct().ToList();
        Assert.True(unexplained.Count == 0, "cfn-lint found:\n" + string.Join('\n', unexplained));
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

    private static Regex Gap(string pattern) => new(pattern, RegexOptions.CultureInvariant);

    private static async Task<(int Exit, string Output)> RunAsync(string program, string[] arguments, string directory)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex AnsiCodes();
}
