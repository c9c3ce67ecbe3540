using System.Runtime.InteropServices;

namespace StreamFunctions.Windowing.Engine;

/// <summary>
/// The operator's event-time clock: per shard, the largest event time seen and when the shard was last active;
/// the watermark is the least shard watermark (largest event time minus the out-of-orderness, minus 1 ms, as
/// Flink's bounded-out-of-orderness generator) of the shards that are not idle, or the largest when all are,
/// and it never moves back.
/// </summary>
/// <param name="time">Processing time, for shard idleness.</param>
/// <param name="outOfOrderness">How far behind the largest time an event may come, ms.</param>
/// <param name="idleTimeout">How long a shard without events still holds the watermark back; null: for ever.</param>
internal sealed class WatermarkClock(TimeProvider time, long outOfOrderness, TimeSpan? idleTimeout)
{
    private readonly Dictionary<string, ShardClock> _shards = new(StringComparer.Ordinal);

    /// <summary>The watermark (Unix ms): windows ending at or before it have fired.</summary>
    public long Watermark { get; set; } = long.MinValue;

    /// <summary>The shard's clock (a new shard has seen no event), marked active now.</summary>
    /// <param name="shard">The shard.</param>
    /// <returns>A reference valid until the next shard is added or removed.</returns>
    public ref ShardClock Activate(string shard)
    {
        ref var clock = ref CollectionsMarshal.GetValueRefOrAddDefault(_shards, shard, out var existed);
        if (!existed)
        {
            clock = new ShardClock { MaxTimestamp = long.MinValue };
        }

        clock.LastActive = time.GetUtcNow().ToUnixTimeMilliseconds();
        return ref clock;
    }

    /// <summary>Forgets a shard: it no longer holds the watermark back.</summary>
    /// <param name="shard">The shard.</param>
    public void Remove(string shard) => _shards.Remove(shard);

    /// <summary>Moves the watermark to what the shards allow now, if that is later.</summary>
    public void Advance()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        long active = long.MaxValue, all = long.MinValue;
        var anyActive = false;
        foreach (var (_, clock) in _shards)
        {
            if (clock.MaxTimestamp == long.MinValue)
            {
                continue;
            }

            var shardWatermark = clock.MaxTimestamp - outOfOrderness - 1;
            all = Math.Max(all, shardWatermark);
            if (idleTimeout is not { } idle || now - clock.LastActive < (long)idle.TotalMilliseconds)
            {
                active = Math.Min(active, shardWatermark);
                anyActive = true;
            }
        }

        var candidate = anyActive ? active : all;
        if (candidate > Watermark)
        {
            Watermark = candidate;
        }
    }

    /// <summary>Writes the watermark and the shards' clocks (the snapshot's second section).</summary>
    /// <param name="writer">The snapshot.</param>
    public void Write(BinaryWriter writer)
    {
        writer.Write(Watermark);
        writer.Write(_shards.Count);
        foreach (var (name, clock) in _shards)
        {
            writer.Write(name);
            writer.Write(clock.MaxTimestamp);
            writer.Write(clock.LastActive);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    /// <param name="reader">The snapshot.</param>
    public void Read(BinaryReader reader)
    {
        Watermark = reader.ReadInt64();
        for (var n = reader.ReadInt32(); n > 0; n--)
        {
            _shards[reader.ReadString()] = new ShardClock { MaxTimestamp = reader.ReadInt64(), LastActive = reader.ReadInt64() };
        }
    }

    /// <summary>A shard's event time and activity.</summary>
    internal struct ShardClock
    {
        /// <summary>The largest event time seen, Unix ms (<see cref="long.MinValue"/>: none yet).</summary>
        public long MaxTimestamp;

        /// <summary>When the shard was last active, processing time in Unix ms.</summary>
        public long LastActive;
    }
}
