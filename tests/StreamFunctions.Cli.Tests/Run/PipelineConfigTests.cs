using System.Globalization;
using StreamFunctions.Cli.Commands;
using StreamFunctions.Cli.Run;
using StreamFunctions.Testing;
using YamlDotNet.RepresentationModel;

namespace StreamFunctions.Cli.Tests.Run;

/// <summary>The pipeline file: its parser's errors, and its settings as template.yaml's parameters.</summary>
public sealed class PipelineConfigTests
{
    private static readonly string Root = RepositoryPaths.Root();

    public static TheoryData<string> Pipelines() => new("built-in", "pipeline.example.yaml");

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void TemplateParameters_EachExistsInTheTemplateAndTakesTheValue(string pipeline)
    {
        var config = pipeline == "built-in" ? PipelineConfig.Default : PipelineConfig.Parse(File.ReadAllText(Path.Combine(Root, pipeline)));
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "template.yaml"))));
        var parameters = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["Parameters"];

        foreach (var (setting, name, value) in config.TemplateParameters())
        {
            Assert.True(parameters.Children.TryGetValue(new YamlScalarNode(name), out var node), $"{setting}: template.yaml has no parameter {name}");
            var parameter = (YamlMappingNode)node;
            if (parameter.Children.TryGetValue(new YamlScalarNode("AllowedValues"), out var allowed))
            {
                Assert.Contains(value, ((YamlSequenceNode)allowed).Children.Select(a => ((YamlScalarNode)a).Value));
            }

            if (((YamlScalarNode)parameter["Type"]).Value == "Number")
            {
                var number = double.Parse(value, CultureInfo.InvariantCulture);
                Assert.True(!parameter.Children.TryGetValue(new YamlScalarNode("MinValue"), out var min) || number >= double.Parse(((YamlScalarNode)min).Value!, CultureInfo.InvariantCulture), $"{name}={value} is below MinValue");
                Assert.True(!parameter.Children.TryGetValue(new YamlScalarNode("MaxValue"), out var max) || number <= double.Parse(((YamlScalarNode)max).Value!, CultureInfo.InvariantCulture), $"{name}={value} is above MaxValue");
            }
        }
    }

    [Fact]
    public void Parse_ExampleFile_ReadsEverySection()
    {
        var config = PipelineConfig.Parse(File.ReadAllText(Path.Combine(Root, "pipeline.example.yaml")));

        Assert.Equal((4, true, "per-key", 5, 60, "gzip", 500), (config.Shards, config.GatewayAggregate, config.GatewayOrdering, config.SinkBufferSizeMB, config.SinkBufferIntervalSeconds, config.SinkCompression, config.BatchSize));
        Assert.Equal(".type", config.SinkPartitionKeys["type"]);
        Assert.Contains("anything-but", config.Transform, StringComparison.Ordinal);
        Assert.Contains("page-views", config.Aggregator, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stream:\n  shards: 0\n", "Pipeline: stream.shards is '0'; it must be a whole number from 1 to 64.")]
    [InlineData("sink:\n  compression: lz4\n", "Pipeline: sink.compression is 'lz4'; it must be one of none, gzip, zstd, snappy, hadoop-snappy.")]
    [InlineData("sinks: {}\n", "Pipeline: unknown section 'sinks' (expected stream, gateway, sink, aggregator, eventSource, workload).")]
    [InlineData("sink:\n  prefix: \"a/!{partitionKeyFromQuery:missing}/\"\n", "Pipeline: sink.partitionKeys is '{\"type\":\".type\"}'; it must be consistent with the sink's other settings: Prefix uses !{partitionKeyFromQuery:missing} but PartitionKeyQueries has no 'missing'.")]
    [InlineData("aggregator:\n  name: x\n", "Pipeline: aggregator is '{\"name\":\"x\"}'; it must be an aggregation (see functions/Aggregator/aggregator.example.json): Aggregator configuration: 'key' (a field path, or a list of them) is required.")]
    [InlineData("aggregator:\n  name: x\n  key: $.k\n  window: {type: tumbling, size: abc}\n  aggregates: []\n", "Pipeline: aggregator is '{\"name\":\"x\",\"key\":\"$.k\",\"window\":{\"type\":\"tumbling\",\"size\":\"abc\"},\"aggregates\":[…'; it must be an aggregation (see functions/Aggregator/aggregator.example.json): window.size is 'abc'; it must be a duration (e.g. 250ms, 5s, 1m, 2h, 1d) or a number of milliseconds.")]
    [InlineData("workload:\n  file: no-such-records.jsonl\n", "Pipeline: workload.file is 'no-such-records.jsonl'; it must be a JSON-lines file that exists (relative to the current folder, or absolute).")]
    [InlineData("eventSource:\n  bisectBatchOnFunctionError: yes please\n", "Pipeline: eventSource.bisectBatchOnFunctionError is '\"yes please\"'; it must be true or false.")]
    public void Parse_BadSetting_NamesIt(string yaml, string expected)
    {
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(yaml));

        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public async Task ParametersCommand_PrintsTomlOverridesForEveryParameter()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await ParametersCommand.RunAsync(Path.Combine(Root, "pipeline.example.yaml"), output, error, CancellationToken.None);

        Assert.Equal(0, exit);
        var text = output.ToString();
        Assert.Contains("parameter_overrides = [", text, StringComparison.Ordinal);
        Assert.Contains("\"ShardCount=4\",  # stream.shards", text, StringComparison.Ordinal);
        Assert.Contains("\"SinkPartitionKeys={\\\"type\\\":\\\".type\\\"}\"", text, StringComparison.Ordinal);
        Assert.Equal(PipelineConfig.Default.TemplateParameters().Count, text.Split('\n').Count(l => l.TrimStart().StartsWith('"')));
    }
}
