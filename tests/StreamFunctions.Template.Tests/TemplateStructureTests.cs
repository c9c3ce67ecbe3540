using System.Text.Json;
using System.Text.RegularExpressions;
using StreamFunctions.Testing;
using YamlDotNet.RepresentationModel;
using static StreamFunctions.Template.Tests.TemplateDocument;

namespace StreamFunctions.Template.Tests;

/// <summary>
/// template.yaml checked as a structure: every function builds from its project through the Makefile, every
/// reference resolves, every policy is scoped, data is encrypted, the stateful consumers' mappings are safe,
/// every environment variable is one the code reads, every function has sample events, and samconfig.toml's
/// environments pass parameters the template has.
/// </summary>
public sealed partial class TemplateStructureTests
{
    // The Echo function is the event-source-mapping runner's test function, not part of a deployment.
    private static readonly string[] NotDeployed = ["Echo"];

    // AWS has no resource-level permissions for these statements' actions; each is listed with the reason.
    private static readonly Dictionary<string, string> UnscopedStatements = new(StringComparer.Ordinal)
    {
        ["MskNetworkInterfaces"] = "Lambda's MSK poller creates network interfaces in the cluster's VPC; EC2 ENI and Describe* actions take no resource ARNs.",
    };

    private static readonly string[] PublicAccessBlocks = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"];
    private static readonly string[] MappingSettings = ["BisectBatchOnFunctionError", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "MaximumBatchingWindowInSeconds", "BatchSize", "StartingPosition"];
    private static readonly string[] SamEnvironments = ["default", "localstack"];
    private static readonly string[] ExpiringTables = ["IdempotencyTable", "AggregatorStateTable"];
    private static readonly string[] CodeFolders = ["functions", "shared"];
    private static readonly string[] SinkPrefixVariables = ["SINK_PREFIX", "SINK_ERROR_PREFIX", "SINK_BACKUP_PREFIX", "SINK_STAGING_PREFIX"];
    private static readonly string[] OtherComponentsKeys = ["dlq/x", "late/x", "results/x", "other"];
    private static readonly string Root = RepositoryPaths.Root();
    private static readonly TemplateDocument Template = Load(Path.Combine(Root, "template.yaml"));

    [Fact]
    public void Functions_EachBuiltByItsMakefileTargetFromAFunctionProject()
    {
        var makefile = File.ReadAllText(Path.Combine(Root, "Makefile"));
        var functions = Template.OfType("AWS::Serverless::Function").ToList();
        Assert.NotEmpty(functions);
        foreach (var (id, resource) in functions)
        {
            Assert.Equal("makefile", Text(Get(resource, "Metadata", "BuildMethod")));
            Assert.Equal(".", Text(Get(resource, "Properties", "CodeUri")));
            var target = Regex.Match(makefile, $@"^build-{id}:\s*\n\t\$\(call publish,(\w+)\)", RegexOptions.Multiline);
            Assert.True(target.Success, $"the Makefile has no build-{id} target calling publish");
            var folder = target.Groups[1].Value;
            Assert.Equal(id, folder + "Function");
            var project = File.ReadAllText(Path.Combine(Root, "functions", folder, folder + ".csproj"));
            Assert.Contains("<AssemblyName>bootstrap</AssemblyName>", project, StringComparison.Ordinal);
            Assert.Contains("<OutputType>Exe</OutputType>", project, StringComparison.Ordinal);
        }

        var globals = (YamlMappingNode)Get(Template.Root, "Globals", "Function")!;
        Assert.Equal(("provided.al2023", "bootstrap"), (Text(Get(globals, "Runtime")), Text(Get(globals, "Handler"))));
        var deployed = functions.Select(f => f.Id[..^"Function".Length]).ToHashSet(StringComparer.Ordinal);
        var folders = Directory.GetDirectories(Path.Combine(Root, "functions")).Select(Path.GetFileName).Where(f => File.Exists(Path.Combine(Root, "functions", f!, f + ".csproj")));
        Assert.DoesNotContain(folders, f => !deployed.Contains(f!) && !NotDeployed.Contains(f));
    }

    [Fact]
    public void References_EveryRefGetAttSubAndConditionResolves_AndEveryParameterAndConditionIsUsed()
    {
        var parameters = Template.Parameters.Children.Keys.Select(k => Text(k)!).ToHashSet(StringComparer.Ordinal);
        var conditions = Template.Conditions.Children.Keys.Select(k => Text(k)!).ToHashSet(StringComparer.Ordinal);
        var resources = Template.Resources.Children.Keys.Select(k => Text(k)!).ToHashSet(StringComparer.Ordinal);

        // SAM adds <Function>Url for a function with FunctionUrlConfig.
        foreach (var (id, resource) in Template.OfType("AWS::Serverless::Function"))
        {
            if (Get(resource, "Properties", "FunctionUrlConfig") is not null)
            {
                resources.Add(id + "Url");
            }
        }

        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        var usedConditions = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        void Name(string name, string where)
        {
            usedNames.Add(name);
            if (!name.StartsWith("AWS::", StringComparison.Ordinal) && !parameters.Contains(name) && !resources.Contains(name))
            {
                problems.Add($"{where} refers to '{name}', which is neither a parameter nor a resource");
            }
        }

        void Condition(string name, string where)
        {
            usedConditions.Add(name);
            if (!conditions.Contains(name))
            {
                problems.Add($"{where} uses the condition '{name}', which is not defined");
            }
        }

        foreach (var node in All(Template.Root))
        {
            switch (Tag(node), node)
            {
                case ("!Ref", YamlScalarNode s):
                    Name(s.Value!, "!Ref");
                    break;
                case ("!GetAtt", YamlScalarNode s):
                    Name(s.Value!.Split('.')[0], "!GetAtt " + s.Value);
                    break;
                case ("!GetAtt", YamlSequenceNode s):
                    Name(Text(s.Children[0])!, "!GetAtt");
                    break;
                case ("!Sub", _):
                    var (text, locals) = node is YamlSequenceNode sub
                        ? (Text(sub.Children[0])!, ((YamlMappingNode)sub.Children[1]).Children.Keys.Select(k => Text(k)!).ToHashSet(StringComparer.Ordinal))
                        : (Text(node)!, []);
                    foreach (Match m in SubVariable().Matches(text))
                    {
                        if (!locals.Contains(m.Groups[1].Value))
                        {
                            Name(m.Groups[1].Value, "!Sub " + text);
                        }
                    }

                    break;
                case ("!If", YamlSequenceNode s):
                    Condition(Text(s.Children[0])!, "!If");
                    break;
                case (_, YamlMappingNode m) when m.Children.TryGetValue(new YamlScalarNode("Condition"), out var c) && c is YamlScalarNode name:
                    Condition(name.Value!, "Condition:");
                    break;
            }
        }

        Assert.Empty(problems);
        Assert.Empty(parameters.Where(p => !usedNames.Contains(p)).Select(p => $"parameter {p} is never used"));
        Assert.Empty(conditions.Where(c => !usedConditions.Contains(c)).Select(c => $"condition {c} is never used"));
    }

    [Fact]
    public void Policies_NoWildcardActionAndEveryResourceScoped()
    {
        var statements = 0;
        foreach (var (id, resource) in Template.OfType("AWS::Serverless::Function"))
        {
            foreach (var policy in ((YamlSequenceNode?)Get(resource, "Properties", "Policies"))?.Children ?? [])
            {
                // Only inline statements: SAM's policy templates cannot be checked here, so none are used.
                var list = Assert.IsType<YamlSequenceNode>(Get(policy, "Statement"), exactMatch: false);
                foreach (var statement in list.Children.SelectMany(Branches))
                {
                    statements++;
                    var sid = Text(Get(statement, "Sid")) ?? "(no Sid)";
                    Assert.True(Text(Get(statement, "Effect")) == "Allow", $"{id}/{sid}: only Allow statements");
                    var actions = Get(statement, "Action") is YamlSequenceNode many ? many.Children.Select(a => Text(a)!) : [Text(Get(statement, "Action"))!];
                    Assert.All(actions, a => Assert.True(!a.Contains('*', StringComparison.Ordinal) && a.Contains(':', StringComparison.Ordinal), $"{id}/{sid}: action '{a}' is a wildcard or not service:action"));
                    var resourceNode = Get(statement, "Resource")!;
                    var targets = Tag(resourceNode).Length == 0 && resourceNode is YamlSequenceNode several ? several.Children : [resourceNode];
                    foreach (var target in targets.SelectMany(Choices))
                    {
                        if (Text(target) == "*" && Tag(target).Length == 0)
                        {
                            Assert.True(UnscopedStatements.ContainsKey(sid), $"{id}/{sid}: Resource \"*\" (scope it, or list the statement with the reason AWS cannot)");
                        }
                        else
                        {
                            Assert.True(Tag(target).Length > 0, $"{id}/{sid}: a literal resource '{Text(target)}' (resources come from the stack's own resources or parameters)");
                        }
                    }
                }
            }
        }

        Assert.True(statements > 20, $"only {statements} statements found");
    }

    [Fact]
    public void Encryption_BucketStreamTablesAndQueuesEncrypted_BucketPrivateAndTlsOnly()
    {
        var bucket = Template.OfType("AWS::S3::Bucket").Single().Resource;
        Assert.NotNull(Get(bucket, "Properties", "BucketEncryption", "ServerSideEncryptionConfiguration"));
        var block = (YamlMappingNode)Get(bucket, "Properties", "PublicAccessBlockConfiguration")!;
        Assert.All(PublicAccessBlocks, k => Assert.Equal("true", Text(Get(block, k))));
        Assert.Contains(Template.OfType("AWS::S3::BucketPolicy"), p => All(p.Resource).OfType<YamlScalarNode>().Any(s => s.Value == "aws:SecureTransport"));
        var staging = ((YamlSequenceNode)Get(bucket, "Properties", "LifecycleConfiguration", "Rules")!).Children.Select(r => Text(Get(r, "Prefix"))).ToList();
        Assert.Contains(".sfn-staging/", staging);

        Assert.Equal("KMS", Text(Get(Template.OfType("AWS::Kinesis::Stream").Single().Resource, "Properties", "StreamEncryption", "EncryptionType")));
        var tables = Template.OfType("AWS::DynamoDB::Table").ToList();
        Assert.True(tables.Count >= 5, "tables: sink state, aggregator state, results, idempotency, leases");
        Assert.All(tables, t => Assert.True(Text(Get(t.Resource, "Properties", "SSESpecification", "SSEEnabled")) == "true", $"{t.Id} is not encrypted with KMS"));
        Assert.All(Template.OfType("AWS::SQS::Queue"), q => Assert.True(Get(q.Resource, "Properties", "SqsManagedSseEnabled") is not null && Get(q.Resource, "Properties", "KmsMasterKeyId") is not null, $"{q.Id} is not encrypted"));

        // TTL where items expire: idempotency keys and the aggregator's spilled snapshots.
        foreach (var id in ExpiringTables)
        {
            Assert.Equal("expiresAt", Text(Get(Template.Resources.Children[new YamlScalarNode(id)], "Properties", "TimeToLiveSpecification", "AttributeName")));
        }
    }

    [Fact]
    public void Gateway_AuthRequired_TheUrlIsOpenOnlyWhenTheFunctionChecksApiKeys()
    {
        // AWS_IAM (SigV4) unless GatewayAuth=apikey, when the function itself checks x-api-key against hashes it is given
        // (and refuses to start without any); there is no open mode.
        var gateways = Template.OfType("AWS::Serverless::Function").Where(f => Get(f.Resource, "Properties", "FunctionUrlConfig") is not null).ToList();
        var gateway = Assert.Single(gateways);
        var authType = (YamlSequenceNode)Get(gateway.Resource, "Properties", "FunctionUrlConfig", "AuthType")!;
        Assert.Equal("!If", authType.Tag.Value);
        Assert.Equal(["GatewayUsesApiKey", "NONE", "AWS_IAM"], authType.Children.Select(Text));
        var condition = (YamlSequenceNode)Template.Conditions.Children[new YamlScalarNode("GatewayUsesApiKey")];
        Assert.Equal("!Equals", condition.Tag.Value);
        Assert.Equal(("GatewayAuth", "apikey"), (Text(condition.Children[0]), Text(condition.Children[1])));
        var variables = (YamlMappingNode)Get(gateway.Resource, "Properties", "Environment", "Variables")!;
        Assert.NotNull(variables.Children[new YamlScalarNode("GATEWAY_AUTH")]);
        Assert.NotNull(variables.Children[new YamlScalarNode("GATEWAY_API_KEY_SHA256")]);
        Assert.Equal("true", Text(Get((YamlMappingNode)Template.Parameters.Children[new YamlScalarNode("GatewayApiKeySha256")], "NoEcho")));
        Assert.Equal("iam", Text(Get((YamlMappingNode)Template.Parameters.Children[new YamlScalarNode("GatewayAuth")], "Default")));
    }

    [Fact]
    public void Mappings_StatefulConsumersOneBatchPerShard_EveryStreamMappingHandlesFailures()
    {
        var mappings = 0;
        foreach (var (id, resource) in Template.OfType("AWS::Serverless::Function"))
        {
            foreach (var (name, evnt) in ((YamlMappingNode?)Get(resource, "Properties", "Events"))?.Children.Select(e => (Text(e.Key), e.Value)) ?? [])
            {
                if (Text(Get(evnt, "Type")) != "Kinesis")
                {
                    continue;
                }

                mappings++;
                var where = $"{id}/{name}";
                if (id is "S3SinkFunction" or "AggregatorFunction")
                {
                    Assert.True(Text(Get(evnt, "Properties", "ParallelizationFactor")) == "1", $"{where}: state per shard needs ParallelizationFactor 1");
                }

                foreach (var property in MappingSettings)
                {
                    Assert.True(Get(evnt, "Properties", property) is not null, $"{where} sets no {property}");
                }

                Assert.Equal("ReportBatchItemFailures", Text(((YamlSequenceNode)Get(evnt, "Properties", "FunctionResponseTypes")!).Children[0]));
                Assert.True(Get(evnt, "Properties", "DestinationConfig", "OnFailure", "Destination") is not null, $"{where} has no on-failure destination");
            }
        }

        Assert.Equal(3, mappings);
        Assert.Contains(Template.OfType("AWS::CloudWatch::Alarm"), a => Text(Get(a.Resource, "Properties", "MetricName")) == "IteratorAge");
        Assert.Contains(Template.OfType("AWS::CloudWatch::Alarm"), a => Text(Get(a.Resource, "Properties", "Namespace")) == "AWS/SQS");
    }

    [Fact]
    public void Environment_EveryVariableIsOneTheCodeReads()
    {
        var code = string.Join('\n', CodeFolders
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        foreach (var (id, resource) in Template.OfType("AWS::Serverless::Function"))
        {
            foreach (var variable in ((YamlMappingNode?)Get(resource, "Properties", "Environment", "Variables"))?.Children.Keys.Select(k => Text(k)!) ?? [])
            {
                Assert.True(code.Contains($"\"{variable}\"", StringComparison.Ordinal), $"{id} sets {variable}, which no code reads");
            }
        }
    }

    [Fact]
    public void Events_EveryFunctionHasSampleEventsThatAreJson()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "events", "README.md"));
        foreach (var (id, _) in Template.OfType("AWS::Serverless::Function"))
        {
            var row = Regex.Match(readme, $@"^\| {id} \| (.+) \|$", RegexOptions.Multiline);
            Assert.True(row.Success, $"events/README.md lists no events for {id}");
            foreach (var file in row.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries))
            {
                using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "events", file)));
                Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
            }
        }
    }

    [Fact]
    public void Samconfig_DefaultAndLocalstackEnvironments_OverrideOnlyTemplateParameters()
    {
        var samconfig = File.ReadAllText(Path.Combine(Root, "samconfig.toml"));
        var parameters = Template.Parameters.Children.Keys.Select(k => Text(k)!).ToHashSet(StringComparer.Ordinal);
        foreach (var environment in SamEnvironments)
        {
            var section = Regex.Match(samconfig, $@"^\[{environment}\.deploy\.parameters\]\n((?:(?!\[).*\n?)*)", RegexOptions.Multiline);
            Assert.True(section.Success, $"samconfig.toml has no [{environment}.deploy.parameters]");
            Assert.Contains("capabilities = \"CAPABILITY_IAM\"", section.Value, StringComparison.Ordinal);
            var overrides = Regex.Match(section.Value, @"parameter_overrides = \[(.*)\]");
            Assert.True(overrides.Success, $"{environment}: no parameter_overrides list");
            foreach (Match pair in Regex.Matches(overrides.Groups[1].Value, "\"(\\w+)="))
            {
                Assert.Contains(pair.Groups[1].Value, parameters);
            }
        }
    }

    public static TheoryData<string, string[]> RuleCases() => new()
    {
        { "", [] },
        { "KafkaSource=msk", ["MskNeedsClusterAndTopic: With KafkaSource=msk, set MskClusterArn (the MSK cluster's ARN).", "MskNeedsClusterAndTopic: With KafkaSource=msk, set KafkaTopic."] },
        { "KafkaSource=msk;MskClusterArn=arn:aws:kafka:eu-west-1:123456789012:cluster/orders/abcd-1234;KafkaTopic=orders", [] },
        { "KafkaSource=self-managed;KafkaTopic=orders", ["SelfManagedKafkaNeedsBrokersSecretAndTopic: With KafkaSource=self-managed, set KafkaBootstrapServers (host:port,host:port).", "SelfManagedKafkaNeedsBrokersSecretAndTopic: With KafkaSource=self-managed, set KafkaSecretArn (the SASL/SCRAM-512 secret)."] },
        { "KafkaSource=self-managed;KafkaTopic=orders;KafkaBootstrapServers=b1:9096;KafkaSecretArn=arn:aws:secretsmanager:eu-west-1:123456789012:secret:s", [] },
        { "GatewayAuth=apikey", ["ApiKeyAuthNeedsKeyHashes: With GatewayAuth=apikey, set GatewayApiKeySha256 (the SHA-256 of each accepted key)."] },
        { "RouterRules={\"routes\":[]}", ["RouterNeedsDestinationStreams: With RouterRules, set RouterDestinationStreamArns (the streams the rules write to; its write permission is scoped to them)."] },
        { "RouterRules={\"routes\":[]};RouterDestinationStreamArns=arn:aws:kinesis:eu-west-1:123456789012:stream/a,arn:aws:kinesis:eu-west-1:123456789012:stream/b", [] },
    };

    [Theory]
    [MemberData(nameof(RuleCases))]
    public void Rules_AParameterItsPartnerNeedsLeftEmpty_FailsBeforeAnyResourceIsCreated(string parameters, string[] failures)
    {
        // cfn-lint checks the Rules section's form only; this evaluates it as CloudFormation does at deploy time.
        var sut = new TemplateEvaluator(Template, Overrides(parameters));

        Assert.Equal(failures, sut.FailedRules());
    }

    [Fact]
    public void Rules_SamconfigEnvironments_PassEveryRule()
    {
        var samconfig = File.ReadAllText(Path.Combine(Root, "samconfig.toml"));
        foreach (Match overrides in Regex.Matches(samconfig, @"^parameter_overrides = \[(.*)\]$", RegexOptions.Multiline))
        {
            var parameters = string.Join(';', Regex.Matches(overrides.Groups[1].Value, "\"([^\"]*)\"").Select(m => m.Groups[1].Value));
            Assert.Empty(new TemplateEvaluator(Template, Overrides(parameters)).FailedRules());
        }
    }

    [Fact]
    public void Gateway_ApiKeyMode_ReservedConcurrencyCapsThePublicUrl()
    {
        var parameter = (YamlMappingNode)Template.Parameters.Children[new YamlScalarNode("GatewayReservedConcurrency")];
        Assert.Equal(("Number", "100", "1"), (Text(Get(parameter, "Type")), Text(Get(parameter, "Default")), Text(Get(parameter, "MinValue"))));
        var gateway = Template.Resources.Children[new YamlScalarNode("GatewayFunction")];
        var reserved = Get(gateway, "Properties", "ReservedConcurrentExecutions")!;

        var apiKey = new TemplateEvaluator(Template, Overrides("GatewayAuth=apikey;GatewayApiKeySha256=" + new string('a', 64)));
        var iam = new TemplateEvaluator(Template);

        Assert.Equal("100", apiKey.Evaluate(reserved));
        Assert.Equal("NONE", apiKey.Evaluate(Get(gateway, "Properties", "FunctionUrlConfig", "AuthType")!));
        Assert.Same(TemplateEvaluator.NoValue, iam.Evaluate(reserved));
        Assert.Equal("AWS_IAM", iam.Evaluate(Get(gateway, "Properties", "FunctionUrlConfig", "AuthType")!));

        // SAM grants a public URL its permissions only for a literal NONE: with the !If, the template grants both itself
        // (lambda:InvokeFunctionUrl, and since October 2025 lambda:InvokeFunction through the URL), in apikey mode only.
        var permissions = Template.OfType("AWS::Lambda::Permission").Where(p => Text(Get(p.Resource, "Properties", "FunctionName")) == "GatewayFunction").ToList();
        Assert.Equal(
            [("lambda:InvokeFunction", null, "true"), ("lambda:InvokeFunctionUrl", "NONE", null)],
            permissions.Select(p => (Text(Get(p.Resource, "Properties", "Action")), Text(Get(p.Resource, "Properties", "FunctionUrlAuthType")), Text(Get(p.Resource, "Properties", "InvokedViaFunctionUrl")))).Order());
        Assert.All(permissions, p => Assert.Equal(("GatewayUsesApiKey", "*"), (Text(Get(p.Resource, "Condition")), Text(Get(p.Resource, "Properties", "Principal")))));
    }

    [Theory]
    [InlineData("", "data/*", "errors/*", null)]
    [InlineData("SinkPrefix=clicks/type=!{partitionKeyFromQuery:type}/!{timestamp:yyyy}/;SinkPartitionKeys={\"type\":\".type\"}", "clicks/type=*", "errors/*", null)]
    [InlineData("SinkPrefix=flat/;SinkErrorPrefix=failed/!{firehose:error-output-type}/;SinkBackupPrefix=raw/!{timestamp:yyyy/MM}/", "flat/*", "failed/*", "raw/*")]
    public void SinkPolicy_ObjectsOnlyUnderTheSinksOwnPrefixes_EachUpToItsFirstExpression(string parameters, string data, string errors, string? backup)
    {
        var sut = new TemplateEvaluator(Template, Overrides("ExistingBucketName=data-bucket;" + parameters));
        var sink = Template.Resources.Children[new YamlScalarNode("S3SinkFunction")];
        var statement = ((YamlSequenceNode)Get(((YamlSequenceNode)Get(sink, "Properties", "Policies")!).Children[0], "Statement")!).Children.Single(c => Text(Get(c, "Sid")) == "Objects");

        var resources = sut.Evaluate(Get(statement, "Resource")!) is object[] list ? list.Cast<string>().ToList() : [(string)sut.Evaluate(Get(statement, "Resource")!)];

        string[] expected = [.. new[] { data, errors, ".sfn-staging/*", backup }.OfType<string>().Select(p => "arn:aws:s3:::data-bucket/" + p)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), resources.Order(StringComparer.Ordinal));

        // Every prefix the function writes under is covered by its own resource, and no resource reaches the other
        // components' objects (the DLQ archive, the aggregator's late records and results).
        var variables = (YamlMappingNode)Get(sink, "Properties", "Environment", "Variables")!;
        foreach (var variable in SinkPrefixVariables)
        {
            if (sut.Evaluate(variables.Children[new YamlScalarNode(variable)]) is string prefix)
            {
                var key = prefix.Split("!{")[0] + "any/object";
                Assert.True(resources.Any(r => Covers(r, key)), $"{variable}={prefix}: no resource covers {key}");
            }
        }

        Assert.All(OtherComponentsKeys, key => Assert.DoesNotContain(resources, r => Covers(r, key)));
    }

    [Theory]
    [InlineData("SinkPrefix", "data/!{timestamp:yyyy/MM/dd/HH}/", true)]
    [InlineData("SinkPrefix", "clicks/type=!{partitionKeyFromQuery:type}/", true)]
    [InlineData("SinkPrefix", "datalake/x/", true)]
    [InlineData("SinkPrefix", "!{timestamp:yyyy}/", false)]
    [InlineData("SinkPrefix", "d!{timestamp:yyyy}/", false)]
    [InlineData("SinkPrefix", "data", false)]
    [InlineData("SinkPrefix", "dlq/mine/", false)]
    [InlineData("SinkPrefix", "results/", false)]
    [InlineData("SinkErrorPrefix", "errors/!{firehose:error-output-type}/", true)]
    [InlineData("SinkErrorPrefix", "!{firehose:error-output-type}/", false)]
    [InlineData("SinkErrorPrefix", "late/", false)]
    [InlineData("SinkBackupPrefix", "", true)]
    [InlineData("SinkBackupPrefix", "raw/!{timestamp:yyyy/MM}/", true)]
    [InlineData("SinkBackupPrefix", ".sfn-staging/", false)]
    public void SinkPrefixes_StartWithAFolderOfTheirOwn_SoTheGrantCannotReachAnotherComponent(string parameter, string value, bool allowed)
    {
        // The sink may write bucket/<text before the first !{>*: a prefix starting with !{ (or a letter, then !{) would
        // grant the whole bucket, dlq/ and results/ included. CloudFormation refuses a value outside AllowedPattern
        // before anything is deployed (and cfn-lint checks the defaults against it).
        var node = (YamlMappingNode)Get(Template.Root, "Parameters", parameter)!;
        var pattern = Text(Get(node, "AllowedPattern"))!;

        Assert.Equal(allowed, Regex.IsMatch(value, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)));
        Assert.Matches(pattern, Text(Get(node, "Default")) ?? string.Empty);
    }

    private static bool Covers(string resource, string key) =>
        resource.EndsWith('*') && ("arn:aws:s3:::data-bucket/" + key).StartsWith(resource[..^1], StringComparison.Ordinal);

    private static Dictionary<string, string> Overrides(string parameters) =>
        parameters.Split(';', StringSplitOptions.RemoveEmptyEntries).ToDictionary(p => p[..p.IndexOf('=', StringComparison.Ordinal)], p => p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);

    // A value, or each value an !If may take.
    private static IEnumerable<YamlNode> Choices(YamlNode node) =>
        Tag(node) == "!If" && node is YamlSequenceNode branches ? branches.Children.Skip(1).SelectMany(Choices) : [node];

    // A statement, or both branches of !If [condition, statement, AWS::NoValue].
    private static IEnumerable<YamlMappingNode> Branches(YamlNode node) =>
        Tag(node) == "!If" && node is YamlSequenceNode branches ? branches.Children.Skip(1).OfType<YamlMappingNode>() : node is YamlMappingNode m ? [m] : [];

    [GeneratedRegex(@"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")]
    private static partial Regex SubVariable();
}
