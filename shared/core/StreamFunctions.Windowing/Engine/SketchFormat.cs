using StreamFunctions.Windowing.Sketches;

namespace StreamFunctions.Windowing.Engine;

/// <summary>How a window's sketches are saved in a snapshot: a tag byte, then the sketch's own fields.</summary>
internal static class SketchFormat
{
    private const byte None = 0, Hll = 1, Quantiles = 2, Top = 3;

    public static void Write(BinaryWriter writer, object? sketch)
    {
        switch (sketch)
        {
            case null:
                writer.Write(None);
                break;
            case HyperLogLog hll:
                writer.Write(Hll);
                writer.Write(hll.Registers.Length);
                writer.Write(hll.Registers);
                break;
            case DDSketch dd:
                writer.Write(Quantiles);
                writer.Write(dd.ZeroCount);
                writer.Write(dd.Min);
                writer.Write(dd.Max);
                var buckets = dd.SavedBuckets().ToList();
                writer.Write(buckets.Count);
                foreach (var (negative, index, count) in buckets)
                {
                    writer.Write(negative);
                    writer.Write(index);
                    writer.Write(count);
                }

                break;
            case TopK top:
                writer.Write(Top);
                writer.Write(top.Total);
                var counters = top.Counters();
                writer.Write(counters.Count);
                foreach (var c in counters)
                {
                    writer.Write(c.Item);
                    writer.Write(c.Count);
                    writer.Write(c.Error);
                }

                break;
            default:
                throw new InvalidOperationException($"No snapshot format for {sketch.GetType().Name}.");
        }
    }

    public static object? Read(BinaryReader reader, AggregateSpec spec)
    {
        var tag = reader.ReadByte();
        var expected = spec.Function switch
        {
            AggregateFunction.DistinctCount => Hll,
            AggregateFunction.Quantiles => Quantiles,
            _ => Top,
        };
        if (tag != None && tag != expected)
        {
            throw new InvalidDataException($"Aggregate '{spec.Name}' holds a sketch of type {tag}, not {expected}.");
        }

        switch (tag)
        {
            case None:
                return null;
            case Hll:
                return HyperLogLog.FromRegisters(reader.ReadBytes(reader.ReadInt32()));
            case Quantiles:
                var zeros = reader.ReadInt64();
                var min = reader.ReadDouble();
                var max = reader.ReadDouble();
                var buckets = new List<(bool, int, long)>();
                for (var n = reader.ReadInt32(); n > 0; n--)
                {
                    buckets.Add((reader.ReadBoolean(), reader.ReadInt32(), reader.ReadInt64()));
                }

                return DDSketch.Restore(spec.RelativeAccuracy, buckets, zeros, min, max);
            default:
                var total = reader.ReadInt64();
                var counters = new List<HeavyHitter>();
                for (var n = reader.ReadInt32(); n > 0; n--)
                {
                    counters.Add(new HeavyHitter(reader.ReadString(), reader.ReadInt64(), reader.ReadInt64()));
                }

                return TopK.Restore(spec.Capacity == 0 ? spec.K * 10 : spec.Capacity, total, counters);
        }
    }
}
