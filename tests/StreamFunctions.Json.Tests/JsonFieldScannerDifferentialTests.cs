using System.Text;
using System.Text.Json;

namespace StreamFunctions.Json.Tests;

/// <summary>
/// The scanner's own JSON reader against System.Text.Json on generated records and on mutations of them: it must
/// accept exactly what <see cref="Utf8JsonReader"/> accepts (default options, depth 64), and on what it accepts
/// find every path's value where <see cref="FieldPath.TryResolve"/> over a <see cref="JsonDocument"/> does.
/// </summary>
public sealed class JsonFieldScannerDifferentialTests
{
    private static readonly string[] Names = ["type", "user", "id", "items", "a.b", "t\\u0079pe", "\\u0069d", "é", "\\ud83d\\ude00", "sku", "n"];

    private static readonly FieldPath[] Paths =
    [
        .. new[] { "$.type", "$.user.id", "$.user", "$.items[0]", "$.items[1].sku", "$['a.b']", "$.é", "$['😀']", "$.n", "$[0]", "$[1].id", "$.user.items[2].type" }.Select(FieldPath.Parse),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GeneratedAndMutatedRecords_SameVerdictAndValuesAsSystemTextJson(int seed)
    {
        var random = new Random(seed);
        var scanner = new JsonFieldScanner(Paths);
        var values = new JsonValueSpan[scanner.Count];
        int accepted = 0, rejected = 0;
        for (var n = 0; n < 4_000; n++)
        {
            var builder = new StringBuilder();
            Value(random, builder, 0);
            var record = Encoding.UTF8.GetBytes(random.Next(4) == 0 ? $" \t{builder}\r\n" : builder.ToString());
            Check(scanner, record, values, ref accepted, ref rejected);
            for (var m = 0; m < 6; m++)
            {
                Check(scanner, Mutate(random, record), values, ref accepted, ref rejected);
            }
        }

        // Both verdicts were exercised.
        Assert.True(accepted > 5_000 && rejected > 5_000, $"{accepted} accepted, {rejected} rejected");
    }

    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    public void Nesting_SameVerdictAsSystemTextJson(int depth)
    {
        var scanner = new JsonFieldScanner(Paths);
        var values = new JsonValueSpan[scanner.Count];
        int accepted = 0, rejected = 0;
        Check(scanner, Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)), values, ref accepted, ref rejected);
        Check(scanner, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"user\":", depth)) + "1" + new string('}', depth)), values, ref accepted, ref rejected);
        Assert.Equal(depth <= JsonFieldScanner.MaxDepth ? 2 : 0, accepted);
    }

    private static void Check(JsonFieldScanner scanner, byte[] record, JsonValueSpan[] values, ref int accepted, ref int rejected)
    {
        var expected = Accepts(record, out var reason);
        var got = scanner.TryScan(record, values, out var error);
        Assert.True(expected == got, $"System.Text.Json {(expected ? "accepts" : $"rejects ({reason})")}, the scanner {(got ? "accepts" : $"rejects ({error})")}: {Show(record)}");
        if (!got)
        {
            rejected++;
            Assert.StartsWith("Not JSON: ", error, StringComparison.Ordinal);
            return;
        }

        accepted++;
        if (!System.Text.Unicode.Utf8.IsValid(record))
        {
            // JSON text that is not UTF-8 (a mutation cut a character): both readers accept it, as neither checks
            // the bytes inside strings, but the document cannot turn its names into strings to resolve paths.
            return;
        }

        using var document = JsonDocument.Parse(record);
        for (var i = 0; i < Paths.Length; i++)
        {
            bool found;
            JsonElement value;
            try
            {
                found = Paths[i].TryResolve(document.RootElement, out value);
            }
            catch (InvalidOperationException)
            {
                // A name with a lone surrogate escape (a mutation cut a pair): the document cannot read it as a
                // string; the scanner treats it as a name no path has.
                return;
            }

            Assert.True(found == values[i].Found, $"{Paths[i]}: TryResolve {(found ? "finds" : "does not find")} it in {Show(record)}");
            if (found)
            {
                Assert.Equal(value.GetRawText(), Encoding.UTF8.GetString(values[i].Of(record)));
            }
        }
    }

    private static bool Accepts(byte[] record, out string? reason)
    {
        try
        {
            var reader = new Utf8JsonReader(record, new JsonReaderOptions { MaxDepth = JsonFieldScanner.MaxDepth });
            while (reader.Read())
            {
            }

            reason = null;
            return true;
        }
        catch (JsonException e)
        {
            reason = e.Message;
            return false;
        }
    }

    private static void Value(Random random, StringBuilder json, int depth)
    {
        switch (random.Next(depth > 4 ? 5 : 8))
        {
            case 0:
                json.Append(random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" });
                break;
            case 1:
                json.Append(random.Next(5) switch
                {
                    0 => "0",
                    1 => $"-{random.Next(1000)}",
                    2 => $"{random.Next(1, 99)}.{random.Next(1000)}",
                    3 => $"{random.Next(1, 9)}e{(random.Next(2) == 0 ? "-" : "+")}{random.Next(20)}",
                    _ => $"-0.{random.Next(100)}E{random.Next(5)}",
                });
                break;
            case 2 or 3 or 4:
                json.Append('"').Append(random.Next(8) switch
                {
                    0 => "click",
                    1 => "quote \\\" and \\\\ slash \\/ \\b\\f\\n\\r\\t",
                    2 => "\\u00e9t\\u00C9 😀 ünïcödé",
                    3 => string.Empty,
                    4 => new string('x', random.Next(40, 200)),
                    5 => "\\ud83d\\ude00 and a lone \\udc00",
                    _ => $"u{random.Next(100)}",
                }).Append('"');
                break;
            case 5 or 6:
                json.Append('{');
                for (var i = random.Next(5); i > 0; i--)
                {
                    json.Append('"').Append(Names[random.Next(Names.Length)]).Append("\":");
                    Value(random, json, depth + 1);
                    json.Append(i > 1 ? "," : string.Empty);
                }

                json.Append('}');
                break;
            default:
                json.Append('[');
                for (var i = random.Next(5); i > 0; i--)
                {
                    Value(random, json, depth + 1);
                    json.Append(i > 1 ? (random.Next(6) == 0 ? " , " : ",") : string.Empty);
                }

                json.Append(']');
                break;
        }
    }

    private static readonly byte[] Interesting = "{}[]\",:\\ \t\n\r0-+.eEtfnu\u0001\u007fx"u8.ToArray();

    private static byte[] Mutate(Random random, byte[] record)
    {
        var bytes = new List<byte>(record);
        for (var k = random.Next(1, 3); k > 0; k--)
        {
            var at = random.Next(bytes.Count + 1);
            var b = random.Next(4) == 0 ? (byte)random.Next(256) : Interesting[random.Next(Interesting.Length)];
            switch (random.Next(3))
            {
                case 0 when at < bytes.Count:
                    bytes[at] = b;
                    break;
                case 1 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.Insert(at, b);
                    break;
            }
        }

        return [.. bytes];
    }

    private static string Show(byte[] record) => record.Length > 300 ? $"{Convert.ToHexString(record[..300])}…" : $"{Encoding.UTF8.GetString(record)} ({Convert.ToHexString(record)})";
}
