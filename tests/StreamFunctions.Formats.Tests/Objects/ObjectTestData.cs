using System.Text;

namespace StreamFunctions.Records.Tests.Objects;

internal static class ObjectTestData
{
    public const int MiB = 1024 * 1024;

    public static List<byte[]> JsonRecords(int count, int seed = 1)
    {
        var random = new Random(seed);
        var records = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var json = $"{{\"id\":{i},\"user\":\"user-{random.Next(10_000)}\",\"score\":{random.Next(100_000) / 100.0 + 0.5},\"active\":{(random.Next(2) == 0 ? "true" : "false")},\"at\":\"2026-11-23T0{random.Next(10)}:00:00Z\",\"tags\":[\"a\",{random.Next(9)}]}}";
            records.Add(Encoding.UTF8.GetBytes(json));
        }

        return records;
    }
}
