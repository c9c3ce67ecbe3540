using System.Text;
using System.Text.Json;

namespace StreamFunctions.Json.Tests;

public sealed class JsonFieldScannerTests
{
    private static readonly string[] Paths =
    [
        "$.type", "$.user.id", "$.user", "$.items[1].sku", "$.items[0]", "$.items", "$['a.b']", "$.esc", "$.missing", "$.user.missing", "$.type.deeper", "$[0]", "$.n",
    ];

    public static TheoryData<string> Records => new()
    {
        """{"type":"click","user":{"id":"u1","tags":["a"]},"items":[{"sku":"x"},{"sku":"y","q":2}],"a.b":true,"n":-1.5e3}""",
        """{"type":{"deeper":1},"user":[1,2],"items":{"1":{"sku":"no"}},"esc":null}""",
        """{"t\u0079pe":"escaped name","user":{"id":7},"items":[null]}""",
        """{"type":"first","type":"last wins","user":{"id":"a"},"user":{"other":1}}""",
        """ [ {"type":"array root"}, 2 ] """,
        """ "just a string" """,
        """{"items":[[1,2],{"sku":[{"deep":[1]}]},3],"esc":"quote \" and \\ and \n"}""",
        """{"user":{"id":{"nested":{"x":[1,{"y":2}]}}},"type":"t"}""",
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void TryScan_AnyRecord_SameValuesAsTryResolve(string json)
    {
        var paths = Paths.Select(FieldPath.Parse).ToList();
        var scanner = new JsonFieldScanner(paths);
        var record = Encoding.UTF8.GetBytes(json);
        var values = new JsonValueSpan[scanner.Count];

        Assert.True(scanner.TryScan(record, values, out var error), error);

        using var document = JsonDocument.Parse(record);
        for (var i = 0; i < paths.Count; i++)
        {
            var expected = paths[i].TryResolve(document.RootElement, out var value);
            Assert.Equal(expected, values[i].Found);
            if (expected)
            {
                Assert.Equal(value.GetRawText(), Encoding.UTF8.GetString(values[i].Of(record)));
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("""{"type":"click" """)]
    [InlineData("""{"type":"click"} trailing""")]
    [InlineData("""{"type":"click",}""")]
    [InlineData("""{"user":{"id":"u1"}, "after": [1, 2}""")]
    [InlineData("""{"skipped":{"a":[1,2,}, "type":"x"}""")]
    public void TryScan_NotJson_FalseWithReason(string json)
    {
        var scanner = new JsonFieldScanner([FieldPath.Parse("$.type"), FieldPath.Parse("$.user.id")]);

        Assert.False(scanner.TryScan(Encoding.UTF8.GetBytes(json), new JsonValueSpan[2], out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryScan_DeeperThanMaxDepth_False()
    {
        var json = new string('[', JsonFieldScanner.MaxDepth + 1) + new string(']', JsonFieldScanner.MaxDepth + 1);
        var scanner = new JsonFieldScanner([FieldPath.Parse("$.type")]);

        Assert.False(scanner.TryScan(Encoding.UTF8.GetBytes(json), new JsonValueSpan[1], out var error));
        Assert.Contains("depth", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryScan_SamePathTwice_BothSlots()
    {
        var scanner = new JsonFieldScanner([FieldPath.Parse("$.a.b"), FieldPath.Parse("$.a.b")]);
        var record = """{"a":{"b":[1]}}"""u8;
        var values = new JsonValueSpan[2];

        Assert.True(scanner.TryScan(record, values, out _));
        Assert.Equal("[1]", Encoding.UTF8.GetString(values[0].Of(record)));
        Assert.Equal(values[0], values[1]);
    }

    [Fact]
    public void TryScan_RecordsOfChangingShape_EachFoundAsByAFreshScanner()
    {
        // One scanner guesses each name from the record before: the guesses must never change a result.
        string[] records =
        [
            """{"a":1,"b":{"id":2},"c":3}""",
            """{"a":4,"b":{"id":5},"c":6}""",
            """{"b":{"id":7},"a":8}""",
            """{"ab":9,"a":10,"b":{"idx":11,"id":12}}""",
            """{"a":13,"\u0062":{"\u0069d":14}}""",
            """{"a":15,"b":{"i":16}}""",
            """{"a":17,"a":{"id":18},"b":19}""",
            """{"a":20,"b":{"id":21},"c":22}""",
            """{"a" :23,"b": {"id" :24}}""",
            """{"a":25,"b":{"id""",
        ];
        FieldPath[] paths = [FieldPath.Parse("$.a"), FieldPath.Parse("$.b.id"), FieldPath.Parse("$.c"), FieldPath.Parse("$.b")];
        var shared = new JsonFieldScanner(paths);
        for (var round = 0; round < 3; round++)
        {
            foreach (var record in records)
            {
                var bytes = Encoding.UTF8.GetBytes(record);
                var expected = new JsonValueSpan[paths.Length];
                var got = new JsonValueSpan[paths.Length];
                var fresh = new JsonFieldScanner(paths).TryScan(bytes, expected, out var freshError);

                Assert.Equal(fresh, shared.TryScan(bytes, got, out var error));
                Assert.Equal(freshError, error);
                Assert.Equal(expected, got);
            }
        }
    }

    [Fact]
    public void TryScan_NamesDifferingInOneByte_NeverTakenForEachOther()
    {
        // A guessed name is compared by its first and last 8 bytes (up to 16 bytes) or whole: names of every
        // length up to 20 and names that differ in their first, a middle or their last byte, or are one byte
        // longer, take each other's place from one record to the next, at the top, in an object in an array, and
        // in an object after that array.
        for (var length = 1; length <= 20; length++)
        {
            var a = new string('n', length);
            var variants = new[] { 0, length / 2, length - 1 }.Distinct().Select(d => string.Concat(a.AsSpan(0, d), "m", a.AsSpan(d + 1))).Append(a + "n");
            foreach (var b in variants)
            {
                string[] records =
                [
                    $$"""{"{{a}}":1,"o":{"l":[{"{{a}}":2},{"{{b}}":3}],"{{a}}":4},"{{b}}":5}""",
                    $$"""{"{{b}}":6,"o":{"l":[{"{{b}}":7},{"{{a}}":8}],"{{b}}":9},"{{a}}":10}""",
                ];
                FieldPath[] paths = [.. new[] { $"$.{a}", $"$.{b}", $"$.o.{a}", $"$.o.{b}", $"$.o.l[0].{a}", $"$.o.l[1].{b}", $"$.o.l[1].{a}" }.Select(FieldPath.Parse)];
                string[][] expected =
                [
                    ["1", "5", "4", "", "2", "3", ""],
                    ["10", "6", "", "9", "", "", "8"],
                ];
                var shared = new JsonFieldScanner(paths);
                var values = new JsonValueSpan[paths.Length];
                for (var round = 0; round < 4; round++)
                {
                    var k = round % 2;
                    var bytes = Encoding.UTF8.GetBytes(records[k]);
                    Assert.True(shared.TryScan(bytes, values, out _));
                    Assert.Equal(expected[k], values.Select(v => v.Found ? Encoding.UTF8.GetString(v.Of(bytes)) : string.Empty));
                }
            }
        }
    }

    [Fact]
    public async Task TryScan_ThreadsScanningDifferentShapes_EachGetsItsOwnValues()
    {
        FieldPath[] paths = [FieldPath.Parse("$.a"), FieldPath.Parse("$.b")];
        var shared = new JsonFieldScanner(paths);
        byte[][] shapes = [Encoding.UTF8.GetBytes("""{"a":1,"b":2}"""), Encoding.UTF8.GetBytes("""{"b":3,"a":4}"""), Encoding.UTF8.GetBytes("""{"bb":5,"a":6,"b":7}""")];
        string[][] expected = [["1", "2"], ["4", "3"], ["6", "7"]];
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var values = new JsonValueSpan[2];
            for (var i = 0; i < 50_000; i++)
            {
                var k = (i + w) % shapes.Length;
                Assert.True(shared.TryScan(shapes[k], values, out _));
                Assert.Equal(expected[k][0], Encoding.UTF8.GetString(values[0].Of(shapes[k])));
                Assert.Equal(expected[k][1], Encoding.UTF8.GetString(values[1].Of(shapes[k])));
            }
        }));

        await Task.WhenAll(workers);
    }

    [Theory]
    [InlineData("""{"$.type": ["click"]}""", """{"type":"click"}""", true)]
    [InlineData("""{"$.type": ["click"]}""", """{"type":"cl\u0069ck"}""", true)]
    [InlineData("""{"$.type": [{"prefix": "cl"}]}""", """{"type":"\u0063lick"}""", true)]
    [InlineData("""{"$.type": [{"suffix": "ck"}]}""", """{"type":"click"}""", true)]
    [InlineData("""{"$.type": ["click"]}""", """{"type":"\u0063lick"}""", true)]
    [InlineData("""{"$.type": ["click"]}""", """{"type":"cli\u0063"}""", false)]
    [InlineData("""{"$.type": ["click"]}""", """{"type":"clic"}""", false)]
    [InlineData("""{"$.type": ["click"]}""", """{"type":"clicks"}""", false)]
    [InlineData("""{"$.type": ["click"]}""", """{"type":"clock"}""", false)]
    [InlineData("""{"$.type": ["abc"]}""", """{"type":12345}""", false)]
    [InlineData("""{"$.type": ["é/x"]}""", """{"type":"\u00e9\/x"}""", true)]
    [InlineData("""{"$.type": ["é/x"]}""", """{"type":"é/x"}""", true)]
    [InlineData("""{"$.type": ["a\"b"]}""", """{"type":"a\"b"}""", true)]
    [InlineData("""{"$.type": ["a\"b"]}""", """{"type":"a\u0022b"}""", true)]
    [InlineData("""{"$.type": ["tab\there"]}""", """{"type":"tab\u0009here"}""", true)]
    [InlineData("""{"$.type": ["click", "view"]}""", """{"type":"view"}""", true)]
    [InlineData("""{"$.type": ["click", "view"]}""", """{"type":["view"]}""", true)]
    [InlineData("""{"$.type": ["click", "view"]}""", """{"type":"vie\u0077"}""", true)]
    [InlineData("""{"$.type": ["click", "view"]}""", """{"type":"views"}""", false)]
    [InlineData("""{"$.type": ["click", "view"]}""", """{"type":"vie"}""", false)]
    [InlineData("""{"$.type": ["click", "view"]}""", """{"other":"view"}""", false)]
    [InlineData("""{"$.type": ["click", {"prefix": "vi"}]}""", """{"type":"view"}""", true)]
    [InlineData("""{"$.type": [{"equals-ignore-case": "CLICK"}]}""", """{"type":"cLiCk"}""", true)]
    [InlineData("""{"$.n": [{"numeric": [">", 0, "<=", 5]}]}""", """{"n":5.0}""", true)]
    [InlineData("""{"$.n": [5]}""", """{"n":5e0}""", true)]
    [InlineData("""{"$.n": [{"numeric": [">", 0]}]}""", """{"n":"5"}""", false)]
    [InlineData("""{"$.tags": ["b"]}""", """{"tags":["a",{"b":1},"b"]}""", true)]
    [InlineData("""{"$.tags": [{"anything-but": ["a", "b"]}]}""", """{"tags":["a","b"]}""", false)]
    [InlineData("""{"$.x": [{"exists": false}]}""", """{"y":1}""", true)]
    [InlineData("""{"$.x": [null]}""", """{"x":null}""", true)]
    [InlineData("""{"$.x": [true], "$.y": ["z"]}""", """{"x":true,"y":"w"}""", false)]
    public void Matches_ScannedValues_SameAsDocument(string match, string record, bool expected)
    {
        using var pattern = JsonDocument.Parse(match);
        var fieldMatch = FieldMatch.Parse(pattern.RootElement, "test");
        var scanner = new JsonFieldScanner(fieldMatch.Paths);
        var bytes = Encoding.UTF8.GetBytes(record);
        var values = new JsonValueSpan[scanner.Count];
        Assert.True(scanner.TryScan(bytes, values, out _));
        using var document = JsonDocument.Parse(bytes);

        Assert.Equal(expected, fieldMatch.Matches(bytes, values));
        Assert.Equal(expected, fieldMatch.Matches(true, document.RootElement));
    }
}
