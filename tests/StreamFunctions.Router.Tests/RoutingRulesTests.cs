using System.Text;
using System.Text.Json;
using StreamFunctions.Json;

namespace StreamFunctions.Router.Tests;

public sealed class RoutingRulesTests
{
    private static RoutingDecision Decide(RoutingRules rules, string json, string key = "k") => rules.Decide(Encoding.UTF8.GetBytes(json), key);

    [Theory]
    [InlineData("$.a.b", """{"a":{"b":"x"}}""", "\"x\"")]
    [InlineData("$.items[1].sku", """{"items":[{"sku":1},{"sku":2}]}""", "2")]
    [InlineData("$['user id']", """{"user id":"u"}""", "\"u\"")]
    [InlineData("$['it\\'s'].x", """{"it's":{"x":true}}""", "true")]
    [InlineData("$", """{"a":1}""", """{"a":1}""")]
    public void FieldPath_Resolve_FindsTheField(string path, string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.True(FieldPath.Parse(path).TryResolve(document.RootElement, out var value));
        Assert.Equal(expected, value.GetRawText());
    }

    [Theory]
    [InlineData("$.a.c", """{"a":{"b":1}}""")]
    [InlineData("$.a[3]", """{"a":[1]}""")]
    [InlineData("$.a.b", """{"a":"text"}""")]
    public void FieldPath_Missing_IsNotFound(string path, string json)
    {
        using var document = JsonDocument.Parse(json);

        Assert.False(FieldPath.Parse(path).TryResolve(document.RootElement, out _));
    }

    [Theory]
    [InlineData("a.b", "must start with '$'")]
    [InlineData("$..a", "empty name")]
    [InlineData("$[x]", "bad array index")]
    [InlineData("$['open", "unterminated")]
    [InlineData("$a", "expected '.name'")]
    public void FieldPath_Malformed_ThrowsSayingWhere(string path, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => FieldPath.Parse(path)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("""["eu"]""", """{"f":"eu"}""", true)]
    [InlineData("""["eu"]""", """{"f":"us"}""", false)]
    [InlineData("""[5]""", """{"f":5.0}""", true)]
    [InlineData("""[true]""", """{"f":true}""", true)]
    [InlineData("""[null]""", """{"f":null}""", true)]
    [InlineData("""["eu"]""", """{"f":["us","eu"]}""", true)]
    [InlineData("""[{"prefix":"cl"}]""", """{"f":"click"}""", true)]
    [InlineData("""[{"suffix":"ck"}]""", """{"f":"click"}""", true)]
    [InlineData("""[{"equals-ignore-case":"CLICK"}]""", """{"f":"Click"}""", true)]
    [InlineData("""[{"anything-but":["free","trial"]}]""", """{"f":"pro"}""", true)]
    [InlineData("""[{"anything-but":"free"}]""", """{"f":"free"}""", false)]
    [InlineData("""[{"anything-but":"free"}]""", """{}""", false)]
    [InlineData("""[{"numeric":[">",0,"<=",5]}]""", """{"f":5}""", true)]
    [InlineData("""[{"numeric":[">",0,"<=",5]}]""", """{"f":0}""", false)]
    [InlineData("""[{"numeric":["=",3]}]""", """{"f":"3"}""", false)]
    [InlineData("""[{"exists":true}]""", """{"f":0}""", true)]
    [InlineData("""[{"exists":false}]""", """{"g":0}""", true)]
    [InlineData("""[{"exists":false}]""", """{"f":0}""", false)]
    [InlineData("""["a", {"prefix":"x"}]""", """{"f":"xyz"}""", true)]
    public void Match_Conditions_FollowEventBridgePatterns(string conditions, string record, bool matches)
    {
        var rules = RoutingRules.Parse($$"""{"routes":[{"match":{"$.f":{{conditions}}},"to":["kinesis:out"]}],"unmatched":"drop"}""");

        var decision = Decide(rules, record);

        Assert.Equal(matches, decision.Targets.Count == 1);
        Assert.Equal(!matches, decision.Unmatched);
    }

    [Fact]
    public void Decide_AllMode_FansOutToEveryMatchingRoutesDestinations()
    {
        var rules = RoutingRules.Parse("""
            {"routes":[
              {"name":"eu","match":{"$.region":["eu"]},"to":["kinesis:eu","kafka:eu"],"partitionKey":"$.user"},
              {"name":"big","match":{"$.total":[{"numeric":[">=",100]}]},"to":["kinesis:big"]},
              {"name":"all","to":"kafka:all"}]}
            """);

        var decision = Decide(rules, """{"region":"eu","total":150,"user":42}""", "source-key");

        Assert.Null(decision.Error);
        Assert.Equal(
            [new RouteTarget("kinesis:eu", "42", "eu"), new RouteTarget("kafka:eu", "42", "eu"), new RouteTarget("kinesis:big", "source-key", "big"), new RouteTarget("kafka:all", "source-key", "all")],
            decision.Targets);
    }

    [Fact]
    public void Decide_FirstMode_StopsAtTheFirstMatch()
    {
        var rules = RoutingRules.Parse("""{"mode":"first","routes":[{"match":{"$.a":[1]},"to":["kinesis:one"]},{"to":["kinesis:rest"]}]}""");

        Assert.Equal(["kinesis:one"], Decide(rules, """{"a":1}""").Targets.Select(t => t.Destination));
        Assert.Equal(["kinesis:rest"], Decide(rules, """{"a":2}""").Targets.Select(t => t.Destination));
    }

    [Theory]
    [InlineData("""{"user":{"id":1}}""", "is Object here")]
    [InlineData("""{"other":1}""", "does not have")]
    [InlineData("""{"user":""}""", "0 characters")]
    [InlineData("not json", "is not JSON")]
    public void Decide_UnreadableKey_IsPoisonNamingTheRouteAndField(string record, string message)
    {
        var rules = RoutingRules.Parse("""{"routes":[{"name":"by-user","to":["kinesis:out"],"partitionKey":"$.user"}]}""");

        var decision = Decide(rules, record);

        Assert.Empty(decision.Targets);
        Assert.Contains("by-user", decision.Error, StringComparison.Ordinal);
        Assert.Contains(message, decision.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_KeyLongerThanKinesisAllows_IsPoison()
    {
        var rules = RoutingRules.Parse("""{"routes":[{"to":["kinesis:out"],"partitionKey":"$.k"}]}""");

        Assert.Contains("257 characters", Decide(rules, $$"""{"k":"{{new string('x', 257)}}"}""").Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_KeyALoneSurrogate_IsPoisonNotAnException()
    {
        // Valid JSON, but "\ud800" has no UTF-8 form: Kinesis cannot take it as a partition key.
        var rules = RoutingRules.Parse("""{"routes":[{"name":"by-user","to":["kinesis:out"],"partitionKey":"$.user"}]}""");

        var decision = Decide(rules, """{"user":"a\ud800"}""");

        Assert.Empty(decision.Targets);
        Assert.Equal("Route 'by-user' keys records by $.user, which is not valid Unicode here (a lone surrogate); a partition key is 1 to 256 characters of valid Unicode.", decision.Error);
    }

    [Theory]
    [InlineData("""[{"prefix":"a"}]""", false)]
    [InlineData("""[{"suffix":"b"}]""", false)]
    [InlineData("""[{"equals-ignore-case":"A"}]""", false)]
    [InlineData("""[{"anything-but":{"prefix":"a"}}]""", true)]
    public void Decide_ConditionOnAStringWithALoneSurrogate_NoTextConditionMatchesItAndNothingThrows(string condition, bool routed)
    {
        // "\ud800" alone is valid JSON but no text: a condition on the string's text cannot hold (an exception here
        // failed the router's whole batch at every redelivery).
        var rules = RoutingRules.Parse($$"""{"routes":[{"name":"r","match":{"$.f":{{condition}}},"to":["kinesis:out"]}],"unmatched":"dlq"}""");

        var decision = Decide(rules, """{"f":"a\ud800b"}""");

        string[] expected = routed ? ["kinesis:out"] : [];
        Assert.Equal(expected, decision.Targets.Select(t => t.Destination));
        Assert.Equal(!routed, decision.Unmatched);
    }

    [Fact]
    public void Decide_NonJsonRecordAndOnlyKeyFreeRoutes_IsRoutedAsIs()
    {
        var rules = RoutingRules.Bridge("kafka:mirror");

        var decision = Decide(rules, "\u0001binary", "key-1");

        Assert.Equal([new RouteTarget("kafka:mirror", "key-1", "bridge")], decision.Targets);
    }

    [Theory]
    [InlineData("\"drop\"", false, 0)]
    [InlineData("\"dlq\"", true, 0)]
    [InlineData("\"fail\"", true, 0)]
    [InlineData("""{"to":["kinesis:rest"]}""", false, 1)]
    public void Decide_Unmatched_DoesWhatTheRulesSay(string unmatched, bool error, int targets)
    {
        var rules = RoutingRules.Parse($$"""{"routes":[{"match":{"$.a":[1]},"to":["kinesis:one"]}],"unmatched":{{unmatched}}}""");

        var decision = Decide(rules, """{"a":2}""", "k");

        Assert.True(decision.Unmatched);
        Assert.Equal(error, decision.Error is not null);
        Assert.Equal(targets, decision.Targets.Count);
    }

    [Fact]
    public void Decide_HotKey_IsSaltedStablyAndOtherKeysAreNot()
    {
        var rules = RoutingRules.Parse("""{"routes":[{"to":["kinesis:out"],"partitionKey":"$.k","hotKeys":{"keys":["hot"],"salts":4}}]}""");

        var salted = Enumerable.Range(0, 200).Select(i => Decide(rules, $$"""{"k":"hot","n":{{i}}}""").Targets[0].PartitionKey).ToList();

        Assert.All(salted, k => Assert.Matches("^hot#[0-3]$", k));
        Assert.Equal(4, salted.Distinct().Count());
        Assert.Equal(salted[7], Decide(rules, """{"k":"hot","n":7}""").Targets[0].PartitionKey);
        Assert.Equal("cold", Decide(rules, """{"k":"cold"}""").Targets[0].PartitionKey);
    }

    [Theory]
    [InlineData("""{"routes":[]}""", "routes: a non-empty array")]
    [InlineData("""{"routes":[{"match":{"$.a":[1]},"to":["kinesis:x"]}]}""", "unmatched: say what happens")]
    [InlineData("""{"routes":[{"to":["s3:x"]}]}""", "routes[0].to: 's3:x' is not a destination")]
    [InlineData("""{"routes":[{"to":["kinesis:"]}]}""", "is not a destination")]
    [InlineData("""{"routes":[{"to":["kinesis:x"],"match":{"$.a":[{"numeric":[">"]}]}}]}""", "routes[0].match.$.a[0]: numeric takes")]
    [InlineData("""{"routes":[{"to":["kinesis:x"],"match":{"$.a":[{"regex":"."}]}}]}""", "unknown operator 'regex'")]
    [InlineData("""{"routes":[{"to":["kinesis:x"],"match":{"a":[1]}}]}""", "routes[0].match: Field path 'a' must start")]
    [InlineData("""{"routes":[{"to":["kinesis:x"],"partitionKey":"$..k"}]}""", "routes[0].partitionKey")]
    [InlineData("""{"routes":[{"to":["kinesis:x"],"hotKeys":{"keys":["h"],"salts":1}}]}""", "routes[0].hotKeys")]
    [InlineData("""{"routes":[{"name":"a","to":["kinesis:x"]},{"name":"a","to":["kinesis:y"]}]}""", "used twice")]
    [InlineData("""{"routes":[{"to":["kinesis:x"],"destination":"y"}]}""", "unknown setting 'destination'")]
    [InlineData("""{"routes":[{"to":["kinesis:x"]}],"mode":"some"}""", "mode: 'some'")]
    [InlineData("""{"routes":[{"to":["kinesis:x"]}],"unmatched":"ignore"}""", "unmatched: 'ignore'")]
    [InlineData("""{"routes":""", "not valid JSON")]
    [InlineData("""{"routes":[{"to":["kinesis:x"]}],"routes":[{"to":["kinesis:y"]}]}""", "Routing rules are not valid JSON: Duplicate property 'routes'")]
    [InlineData("""{"routes":[{"to":["kinesis:x"],"partitionKey":"$.a","partitionKey":"$.b"}]}""", "Duplicate property 'partitionKey'")]
    public void Parse_BadRules_ThrowsNamingThePlace(string json, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => RoutingRules.Parse(json)).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_RulesOverOneMebibyte_RefusedBeforeParsing()
    {
        var json = """{"routes":[{"to":["kinesis:x"]}]}""" + new string(' ', 1024 * 1024);

        Assert.Equal($"The configuration is {json.Length:N0} bytes of UTF-8; at most 1,048,576 are read.", Assert.Throws<FormatException>(() => RoutingRules.Parse(json)).Message);
    }

    [Fact]
    public void Destinations_ListsEveryDestinationOnce() =>
        Assert.Equal(
            ["kinesis:a", "kafka:b", "kinesis:rest"],
            RoutingRules.Parse("""{"routes":[{"match":{"$.x":[1]},"to":["kinesis:a","kafka:b"]},{"match":{"$.y":[1]},"to":["kafka:b"]}],"unmatched":{"to":["kinesis:rest"]}}""").Destinations);
}
