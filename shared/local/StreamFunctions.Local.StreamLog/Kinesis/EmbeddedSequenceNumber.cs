using System.Globalization;

namespace StreamFunctions.Local.StreamLog.Kinesis;

/// <summary>
/// The embedded log's sequence numbers: <c>49</c> followed by 37 digits of
/// <c>counter × 2^32 + shard index</c>, where the counter is the stream's, increasing with every
/// record and reshard. So they are 39 digits long like no other, they increase within a shard and
/// across a shard's parents and children, no two shards share one, and each names its shard, which
/// lets GetShardIterator reject another shard's number as Kinesis does. Fixed width keeps even
/// string order right.
/// </summary>
internal static class EmbeddedSequenceNumber
{
    private const string Prefix = "49";
    private const int Digits = 37;

    /// <summary>The largest counter that fits the 37 digits.</summary>
    public const ulong MaxCounter = ulong.MaxValue;

    public static string Format(ulong counter, int shardIndex) =>
        Prefix + (((UInt128)counter << 32) | (uint)shardIndex).ToString("D37", CultureInfo.InvariantCulture);

    public static bool TryParse(string? sequenceNumber, out ulong counter, out int shardIndex)
    {
        counter = 0;
        shardIndex = -1;
        if (sequenceNumber is null || sequenceNumber.Length != Prefix.Length + Digits || !sequenceNumber.StartsWith(Prefix, StringComparison.Ordinal)
            || !UInt128.TryParse(sequenceNumber.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            || value >> 96 != 0)
        {
            return false;
        }

        counter = (ulong)(value >> 32);
        shardIndex = (int)(uint)value;
        return shardIndex >= 0;
    }
}
