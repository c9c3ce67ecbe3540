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
    [InlineData("stream:\n  shards: 0\n", "'stream.shards' is a whole number from 1 to 64")]
    [InlineData("sink:\n  compression: lz4\n", "'sink.compression' is none, gzip, zstd, snappy, hadoop-snappy; not 'lz4'")]
    [InlineData("sinks: {}\n", "unknown section 'sinks'")]
    [InlineData("sink:\n  prefix: \"a/!{partitionKeyFromQuery:missing}/\"\n", "missing")]
    [InlineData("aggregator:\n  name: x\n", "'key'")]
    [InlineData("eventSource:\n  bisectBatchOnFunctionError: yes please\n", "'eventSource.bisectBatchOnFunctionError' is true or false")]
    public void Parse_BadSetting_NamesIt(string yaml, string expected)
    {
        var e = Assert.Throws<FormatException>(() => PipelineConfig.Parse(yaml));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
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
