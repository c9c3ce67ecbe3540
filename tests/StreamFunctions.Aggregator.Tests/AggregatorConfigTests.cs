using StreamFunctions.Windowing.Engine;
using StreamFunctions.Windowing.Windows;

namespace StreamFunctions.Aggregator.Tests;

public sealed class AggregatorConfigTests
{
    [Fact]
    public void Parse_FullConfig_SpecAndColumns()
    {
        var config = AggregatorConfig.Parse("""
            {"name": "orders", "key": ["$.customer", ".region"], "time": "$.ts",
             "window": {"type": "sliding", "size": "10m", "slide": "1m"},
             "outOfOrderness": "5s", "allowedLateness": 60000, "idleTimeout": "1m",
             "aggregates": [{"name": "n", "function": "count"}, {"name": "revenue", "function": "sum", "field": "$.amount"},
                            {"name": "avg", "function": "avg", "field": "$.amount"}, {"name": "buyers", "function": "distinct", "field": "$.user"},
                            {"name": "ms", "function": "quantiles", "field": "$.ms", "quantiles": [0.5, 0.999]},
                            {"name": "pages", "function": "topk", "field": "$.page", "k": 3}]}
            """);

        Assert.Equal(WindowKind.Sliding, config.Spec.Window.Kind);
        Assert.Equal(600_000, config.Spec.Window.Size);
        Assert.Equal(60_000, config.Spec.Window.Slide);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Spec.OutOfOrderness);
        Assert.Equal(TimeSpan.FromMinutes(1), config.Spec.AllowedLateness);
        Assert.Equal(["$.customer", "$.region"], config.KeyFields.Select(k => k.Text));
        Assert.Equal(["$.amount", "$.ms"], config.NumericFields.Select(f => f.Text));
        Assert.Equal(["$.user", "$.page"], config.ItemFields.Select(f => f.Text));
        Assert.Equal([0, 0, 0, 0, 1, 1], config.Spec.Aggregates.Select(a => a.Column));
        Assert.Equal(AggregateFunction.TopK, config.Spec.Aggregates[^1].Function);
    }

    [Theory]
    [InlineData("""{"name": "x", "key": "$.k", "window": {"type": "tumbling", "size": "1m"}, "aggregates": [], "extra": 1}""", "unknown setting 'extra'")]
    [InlineData("""{"name": "x", "window": {"type": "tumbling", "size": "1m"}, "aggregates": []}""", "'key'")]
    [InlineData("""{"name": "x", "key": "$.k", "window": {"type": "weekly"}, "aggregates": [{"name": "n", "function": "count"}]}""", "window.type")]
    [InlineData("""{"name": "x", "key": "$.k", "window": {"type": "tumbling", "size": "1 fortnight"}, "aggregates": [{"name": "n", "function": "count"}]}""", "window.size is '1 fortnight'; it must be a duration (e.g. 250ms, 5s, 1m, 2h, 1d)")]
    [InlineData("""{"name": "x", "key": "$.k", "window": {"type": "sliding", "size": "1m", "slide": "2m"}, "aggregates": [{"name": "n", "function": "count"}]}""", "slide")]
    [InlineData("""{"name": "x", "key": "$.k", "window": {"type": "tumbling", "size": "1m"}, "aggregates": [{"name": "s", "function": "sum"}]}""", "needs a 'field'")]
    [InlineData("""{"name": "x", "key": "$.k", "window": {"type": "tumbling", "size": "1m"}, "aggregates": [{"name": "s", "function": "median", "field": "$.v"}]}""", "'median'")]
    [InlineData("""{"name": "x", "key": "$.k", "window": {"type": "tumbling", "size": "1m"}, "aggregates": []}""", "no aggregates")]
    [InlineData("""{"name": "x", "key": "k", "window": {"type": "tumbling", "size": "1m"}, "aggregates": [{"name": "n", "function": "count"}]}""", "key")]
    public void Parse_Malformed_ErrorNamesTheSetting(string json, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => AggregatorConfig.Parse(json)).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_Yaml_SameAsJson()
    {
        var yaml = AggregatorConfig.Parse("""
            # orders per customer
            name: orders
            key: [$.customer]
            time: $.ts
            window: {type: session, gap: 30s}
            allowedLateness: 60000
            aggregates:
              - name: n
                function: count
              - name: p
                function: quantiles
                field: $.ms
                quantiles: [0.5, 0.99]
              - name: label
                function: topk
                field: "$.tag"
                k: 2
            """);
        var json = AggregatorConfig.Parse("""
            {"name": "orders", "key": ["$.customer"], "time": "$.ts", "window": {"type": "session", "gap": "30s"}, "allowedLateness": 60000,
             "aggregates": [{"name": "n", "function": "count"}, {"name": "p", "function": "quantiles", "field": "$.ms", "quantiles": [0.5, 0.99]},
                            {"name": "label", "function": "topk", "field": "$.tag", "k": 2}]}
            """);

        Assert.Equal(json.Spec.Window, yaml.Spec.Window);
        Assert.Equal(json.Spec.AllowedLateness, yaml.Spec.AllowedLateness);
        Assert.Equal(json.Spec.Aggregates.Select(a => (a.Name, a.Function, a.Column, a.K, string.Join(',', a.Quantiles))), yaml.Spec.Aggregates.Select(a => (a.Name, a.Function, a.Column, a.K, string.Join(',', a.Quantiles))));
        Assert.Equal(json.NumericFields.Select(f => f.Text), yaml.NumericFields.Select(f => f.Text));
    }

    [Theory]
    [InlineData("name: [unclosed", "not YAML (line ")]
    [InlineData("name: x\n---\nname: y", "2 YAML documents")]
    [InlineData("name: x\nwindow: {type: tumbling, size: 1m}\nkey: $.k\naggregates: [{name: n, function: count}]\ncolour: red", "unknown setting 'colour'")]
    public void Parse_BadYaml_ErrorSaysWhere(string yaml, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => AggregatorConfig.Parse(yaml)).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_YamlNestedTooDeep_FormatErrorNotAStackOverflow()
    {
        // YamlDotNet builds nodes recursively: 100,000 nested flow sequences used to overflow the stack and kill the process.
        var deep = "name: " + new string('[', 100_000);

        var error = Assert.Throws<FormatException>(() => AggregatorConfig.Parse(deep));

        Assert.Contains("deeper than 64 levels", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("42", 42)]
    public void ParseDuration_Units(string text, long ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), AggregatorConfig.ParseDuration(text));
}

public sealed class StreamWindowAggregatorTests
{
    [Fact]
    public async Task ProcessAsync_KeyOrTimeWithAnEscapedLoneSurrogate_ThatRecordIsInvalidAndTheOthersCount()
    {
        // "\ud800" alone is valid JSON but no text: the record goes to the side output, not an exception that fails the batch.
        var results = new InMemoryWindowResultWriter();
        var aggregator = new StreamWindowAggregator(AggregatorConfig.Parse(KinesisEvents.CountConfig), new InMemoryAggregatorStateStore(), results);

        var result = await aggregator.ProcessAsync(KinesisEvents.Of(["""{"k":"a","t":1700000000000}""", """{"k":"a\ud800","t":1700000000000}""", """{"k":"a","t":"2023-11-14T22:13:\ud800"}""", """{"k":"a","t":1700000100000}"""]));

        Assert.Equal((4, 2), (result.Records, result.Invalid));
        Assert.Equal(1, results.Results["n/a/1699999980000-1700000040000"].Count);
    }

    [Fact]
    public async Task ProcessAsync_SampleEventWithExampleConfig_FirstMinuteFires()
    {
        var root = StreamFunctions.Testing.RepositoryPaths.Root();
        var config = AggregatorConfig.Parse(File.ReadAllText(Path.Combine(root, "functions", "Aggregator", "aggregator.example.json")));
        var evnt = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(root, "events", "aggregator-kinesis.json")), StreamFunctions.Lambda.Events.LambdaEventsJsonContext.Default.KinesisEvent)!;
        var store = new InMemoryAggregatorStateStore();
        var results = new InMemoryWindowResultWriter();
        var aggregator = new StreamWindowAggregator(config, store, results);

        var first = await aggregator.ProcessAsync(evnt);
        var again = await aggregator.ProcessAsync(evnt);

        // Watermark: 1700000070000 − 5000 − 1 passes the first minute's end; c7's second minute stays open.
        Assert.Equal((4, 4, 2), (first.Records, first.Applied, first.Results));
        Assert.Equal(4, again.Skipped);
        var c7 = results.Results["orders-per-customer/c7/1699999980000-1700000040000"];
        Assert.Equal(2, c7.Count);
        Assert.Equal([2, 52.5, 26.25, 2], c7.Values.Take(4).Select(v => v.Value!.Value));
        Assert.Equal("/cart", c7.Values[^1].Top![0].Item);
        Assert.Equal(1, results.Results["orders-per-customer/c3/1699999980000-1700000040000"].Count);
        Assert.Equal(2, results.Results.Count);
    }
}
