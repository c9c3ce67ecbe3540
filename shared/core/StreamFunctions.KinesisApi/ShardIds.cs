using System.Globalization;

namespace StreamFunctions.KinesisApi;

/// <summary>Kinesis shard ids: <c>shardId-</c> and a 12-digit, zero-padded index.</summary>
public static class ShardIds
{
    private const string Prefix = "shardId-";

    /// <summary>The id of the shard with index <paramref name="index"/> (<c>shardId-000000000003</c>).</summary>
    public static string Format(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return Prefix + index.ToString("D12", CultureInfo.InvariantCulture);
    }

    /// <summary>The index inside a shard id, or false if it is not of Kinesis's form.</summary>
    public static bool TryParse(string? shardId, out int index)
    {
        index = -1;
        return shardId is not null
            && shardId.Length == Prefix.Length + 12
            && shardId.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(shardId.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }
}
