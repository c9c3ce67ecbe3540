using StreamFunctions.Windowing.Engine;

namespace StreamFunctions.Windowing.Tests;

/// <summary>The aggregator's key table (ids and the state kept per key) against a dictionary, and under keys chosen to collide.</summary>
public sealed class KeyTableTests
{
    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 5_000)]
    public void RandomInternsAndRemoves_MatchDictionary(int seed, int universe)
    {
        var random = new Random(seed);
        var table = new KeyTable<int>((ulong)seed);
        var model = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var op = 0; op < 60_000; op++)
        {
            // Fresh string instances, so equality is by content, not by reference.
            var key = new string($"key-{random.Next(universe)}-{new string('x', random.Next(12))}".AsSpan());
            if (random.Next(3) == 0 && model.Count > 0)
            {
                var (victim, id) = model.ElementAt(random.Next(model.Count));
                table.Remove(id);
                model.Remove(victim);
                continue;
            }

            var got = random.Next(2) == 0 ? table.Intern(key, out var added) : table.Intern(key, table.HashOf(key), out added);
            Assert.Equal(!model.ContainsKey(key), added);
            if (!added)
            {
                Assert.Equal(model[key], got);
                Assert.Equal(key.Length, table.State(got));
            }
            else
            {
                Assert.DoesNotContain(got, model.Values);
                Assert.Equal(0, table.State(got));
                model[key] = got;
                table.State(got) = key.Length;
            }

            Assert.Equal(key, table.Name(got));
            Assert.Equal(model.Count, table.Count);
        }

        foreach (var (key, id) in model)
        {
            Assert.Equal(id, table.Intern(new string(key.AsSpan()), out var added));
            Assert.False(added);
        }
    }

    [Fact]
    public void KeysCollidingUnderTheSeed_SwitchToTheRandomizedHash_AndStayFound()
    {
        const ulong Seed = 42;
        var home = -1;
        var colliding = new List<string>();
        for (var n = 0; colliding.Count < 300; n++)
        {
            // The same home group in any table of up to 4,096 groups.
            var key = $"flood-{n}";
            var group = (int)((uint)(KeyTable<int>.SeededHash(key, Seed) | 2) >> 3) & 4095;
            home = home < 0 ? group : home;
            if (group == home)
            {
                colliding.Add(key);
            }
        }

        var table = new KeyTable<int>(Seed);

        // Hashes taken ahead, under the seeded hash, as the aggregator's look-ahead takes them.
        var early = colliding.Select(table.HashOf).ToList();
        Assert.All(early, h => Assert.False(h.Randomized));
        var ids = colliding.Select((k, i) => table.Intern(k, early[i], out _)).ToList();
        Assert.True(table.Randomized);
        Assert.Equal(colliding.Count, ids.Distinct().Count());
        for (var i = 0; i < colliding.Count; i++)
        {
            Assert.Equal(ids[i], table.Intern(new string(colliding[i].AsSpan()), out var added));
            Assert.False(added);

            // A hash taken before the switch is taken again: the key is found, not added twice.
            Assert.Equal(ids[i], table.Intern(colliding[i], early[i], out added));
            Assert.False(added);
        }

        foreach (var id in ids.Where((_, i) => i % 2 == 0))
        {
            table.Remove(id);
        }

        Assert.Equal(colliding.Count / 2, table.Count);
        for (var i = 1; i < colliding.Count; i += 2)
        {
            Assert.Equal(ids[i], table.Intern(colliding[i], out _));
        }
    }
}
