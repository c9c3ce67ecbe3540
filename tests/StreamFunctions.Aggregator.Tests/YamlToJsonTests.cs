namespace StreamFunctions.Aggregator.Tests;

/// <summary>
/// The one parser of YAML and JSON configurations (the <c>sfn run</c> pipeline file, <c>AGGREGATOR_CONFIG</c>):
/// bounded before anything is built — no anchors or aliases (their expansion is exponential in the text), at most
/// 1 MiB of text and <see cref="YamlToJson.MaxDepth"/> levels, no key given twice.
/// </summary>
public sealed class YamlToJsonTests
{
    private const int MaxLength = 1024 * 1024;

    // "Billion laughs": 9 levels of 9 aliases, 9^9 (387 million) strings once expanded — over 2 GB of JSON from 600 bytes.
    private const string NestedAnchors = """
        stream:
          name: sfn
        workload:
          a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
          b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
          c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
          d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
          e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
          f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
          g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
          h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
          i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
        """;

    [Fact]
    public void ParseConfiguration_NestedAnchors_RefusedAtTheFirstAnchorBeforeExpanding()
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<FormatException>(() => YamlToJson.ParseConfiguration(NestedAnchors, "The pipeline file is not JSON or YAML"));

        Assert.Equal("The configuration uses the YAML anchor '&a' (line 4): anchors and aliases are not supported; write the value out.", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1024 * 1024, "the refusal allocated more than 1 MB");
    }

    [Theory]
    [InlineData("name: x\nkey: *k\n", "the YAML alias '*k' (line 2)")]
    [InlineData("base: &base {type: tumbling}\nwindow:\n  <<: *base\n", "the YAML anchor '&base' (line 1)")]
    [InlineData("name: !!str &n x\n", "the YAML anchor '&n' (line 1)")]
    public void ParseConfiguration_AnchorOrAlias_RefusedWithItsLine(string yaml, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => YamlToJson.ParseConfiguration(yaml, "not JSON")).Message, StringComparison.Ordinal);

    [Fact]
    public void AggregatorConfigParse_NestedAnchors_Refused() =>
        Assert.Contains("anchors and aliases are not supported", Assert.Throws<FormatException>(() => AggregatorConfig.Parse(NestedAnchors)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("name: x\n")]
    [InlineData("{\"name\": \"x\"}")]
    public void ParseConfiguration_LongerThanTheCap_RefusedBeforeParsing(string start)
    {
        var text = start + new string(' ', MaxLength);

        var error = Assert.Throws<FormatException>(() => YamlToJson.ParseConfiguration(text, "not JSON"));

        Assert.Equal($"The configuration is {text.Length:N0} bytes of UTF-8; at most {MaxLength:N0} are read.", error.Message);
    }

    [Theory]
    [InlineData("size: 1\nkey: $.a\nsize: 2\n", "The configuration is not YAML (line 3, column 1): Duplicate key size")]
    [InlineData("window:\n  type: tumbling\n  size: 1m\n  size: 2m\n", "The configuration is not YAML (line 4, column 3): Duplicate key size")]
    [InlineData("{\"name\": \"x\", \"window\": {\"size\": \"1m\", \"size\": \"2m\"}}", "not JSON: Duplicate property 'size' encountered during deserialization.")]
    public void ParseConfiguration_KeyGivenTwice_Refused(string text, string expected) =>
        Assert.Equal(expected, Assert.Throws<FormatException>(() => YamlToJson.ParseConfiguration(text, "not JSON")).Message);

    [Fact]
    public void ParseConfiguration_PlainYaml_StillTheSameJson()
    {
        using var document = YamlToJson.ParseConfiguration("name: x\nsize: 2\nlist: [a, 'b', 1.5, true, ~]\n", "not JSON");

        Assert.Equal("""{"name":"x","size":2,"list":["a","b",1.5,true,null]}""", document.RootElement.GetRawText());
    }
}
