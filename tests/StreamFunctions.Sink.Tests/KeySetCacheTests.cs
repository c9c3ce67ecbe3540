using System.Text;
using StreamFunctions.Json;
using StreamFunctions.Transform;

namespace StreamFunctions.Sink.Tests;

/// <summary>The batch's shared key sets: found in place among the last few, or by hash among all.</summary>
public sealed class KeySetCacheTests
{
    private static readonly FieldPath[] Paths = [FieldPath.Parse("$.a"), FieldPath.Parse("$.b")];

    [Fact]
    public void ManyCombinations_EachFoundAsTheSetAddedForIt()
    {
        // 50 combinations, cycled: far more than are compared in place, so most are found by hash and remembered again.
        var cache = new KeySetCache();
        var scanner = new JsonFieldScanner(Paths);
        var added = new Dictionary<int, IReadOnlyDictionary<string, string>>();
        for (var round = 0; round < 3; round++)
        {
            for (var n = 0; n < 50; n++)
            {
                var (record, values) = Scan(scanner, $$"""{"a":"k{{n}}","b":{{n * 7}}}""");
                if (round == 0)
                {
                    Assert.False(cache.TryGet(record, values, out _));
                    added[n] = new Dictionary<string, string> { ["a"] = $"k{n}" };
                    cache.Add(record, values, added[n]);
                }

                Assert.True(cache.TryGet(record, values, out var set), $"combination {n}, round {round}");
                Assert.Same(added[n], set);
            }
        }
    }

    [Fact]
    public void ValuesSplitDifferently_AreDifferentCombinations()
    {
        var cache = new KeySetCache();
        var scanner = new JsonFieldScanner(Paths);
        var (first, firstValues) = Scan(scanner, """{"a":"ab","b":"c"}""");
        var set = new Dictionary<string, string>();
        cache.Add(first, firstValues, set);

        var (second, secondValues) = Scan(scanner, """{"a":"a","b":"bc"}""");
        var (same, sameValues) = Scan(scanner, """{"b":"c","a":"ab","x":1}""");

        Assert.False(cache.TryGet(second, secondValues, out _));
        Assert.True(cache.TryGet(same, sameValues, out var found));
        Assert.Same(set, found);
    }

    private static (byte[] Record, JsonValueSpan[] Values) Scan(JsonFieldScanner scanner, string json)
    {
        var record = Encoding.UTF8.GetBytes(json);
        var values = new JsonValueSpan[scanner.Count];
        Assert.True(scanner.TryScan(record, values, out _));
        return (record, values);
    }
}
