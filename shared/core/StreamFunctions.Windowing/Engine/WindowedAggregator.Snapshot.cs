using StreamFunctions.Formats.Compression;
using StreamFunctions.Formats.Exceptions;

namespace StreamFunctions.Windowing.Engine;

// The snapshot format (ZSTD-compressed, little-endian as BinaryWriter writes):
//   magic "SFAG" (int32), fingerprint (string: the window and the aggregates),
//   watermark (int64), shards (int32 n, then n × name, max event time, last active),
//   the window assigner's own state (int32 n, then n × key, count-window ordinal; 0 for other kinds),
//   live windows (int32 n, then n × key, start, end, count, flags, per numeric column count/sum/min/max,
//   per sketch SketchFormat).
// A saved state outlives deployments: this layout only changes with a new magic.
public sealed partial class WindowedAggregator
{
    private const int SnapshotMagic = 0x47414653; // "SFAG"

    /// <summary>
    /// Saves the whole state — watermark, shard clocks, every live window with its aggregates and sketches — as
    /// ZSTD-compressed bytes that <see cref="Restore"/> turns back into an operator that behaves exactly as this one.
    /// </summary>
    /// <returns>The snapshot.</returns>
    public byte[] Snapshot()
    {
        using var buffer = new MemoryStream();
        using (var compressor = CompressionStreams.CreateCompressor(buffer, new CompressionOptions { Codec = CompressionCodec.Zstd, Level = 3 }, leaveOpen: true))
        using (var writer = new BinaryWriter(compressor))
        {
            writer.Write(SnapshotMagic);
            writer.Write(Fingerprint(_spec));
            _clock.Write(writer);
            _assigner.WriteState(writer);
            writer.Write(LiveWindows);
            for (var slot = 0; slot < _slots; slot++)
            {
                if ((_flags[slot] & Live) == 0)
                {
                    continue;
                }

                var row = Row(slot);
                writer.Write(_keys.Name(_info[slot].Key));
                writer.Write(_info[slot].Start);
                writer.Write(_info[slot].End);
                writer.Write((long)row[0]);
                writer.Write(_flags[slot]);
                foreach (var column in _layout)
                {
                    writer.Write(column.Count < 0 ? 0L : (long)row[column.Count]);
                    writer.Write(column.Sum < 0 ? 0.0 : row[column.Sum]);
                    writer.Write(column.Min < 0 ? double.PositiveInfinity : row[column.Min]);
                    writer.Write(column.Max < 0 ? double.NegativeInfinity : row[column.Max]);
                }

                for (var k = 0; k < _sketchSpecs.Length; k++)
                {
                    SketchFormat.Write(writer, _sketches[(slot * _sketchSpecs.Length) + k]);
                }
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Rebuilds an operator from <see cref="Snapshot"/>.</summary>
    /// <param name="spec">The same aggregation the snapshot was taken with.</param>
    /// <param name="snapshot">The bytes.</param>
    /// <param name="time">Processing time.</param>
    /// <returns>The operator.</returns>
    /// <exception cref="FormatException">The bytes are not a snapshot, or were taken with a different window or aggregates.</exception>
    public static WindowedAggregator Restore(AggregationSpec spec, ReadOnlyMemory<byte> snapshot, TimeProvider? time = null)
    {
        var engine = new WindowedAggregator(spec, time);
        try
        {
            using var source = new MemoryStream(snapshot.ToArray(), writable: false);
            using var decompressor = CompressionStreams.CreateDecompressor(source, CompressionCodec.Zstd);
            using var reader = new BinaryReader(decompressor);
            if (reader.ReadInt32() != SnapshotMagic)
            {
                throw new FormatException("Not a windowed-aggregation snapshot.");
            }

            var fingerprint = reader.ReadString();
            if (fingerprint != Fingerprint(spec))
            {
                throw new FormatException($"The state was saved by a different aggregation ({fingerprint}); this one is {Fingerprint(spec)}. Changing windows or aggregates needs a new aggregation name (or the old state deleted).");
            }

            engine._clock.Read(reader);
            engine._assigner.ReadState(reader);
            for (var n = reader.ReadInt32(); n > 0; n--)
            {
                var key = reader.ReadString();
                var start = reader.ReadInt64();
                var end = reader.ReadInt64();
                var slot = engine.NewSlot(engine.Intern(key), start, end);
                var row = engine.Row(slot);
                row[0] = reader.ReadInt64();
                engine._flags[slot] = reader.ReadByte();
                foreach (var column in engine._layout)
                {
                    column.Restore(row, reader.ReadInt64(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
                }

                for (var k = 0; k < engine._sketchSpecs.Length; k++)
                {
                    engine._sketches[(slot * engine._sketchSpecs.Length) + k] = SketchFormat.Read(reader, engine._sketchSpecs[k]);
                }

                engine.Reindex(slot);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidDataException or ArgumentException or CompressedDataException)
        {
            throw new FormatException($"The aggregation state is corrupt: {e.Message}", e);
        }

        return engine;
    }

    // What must not change under a saved state: the window and the aggregates.
    private static string Fingerprint(AggregationSpec spec) =>
        FormattableString.Invariant($"{spec.Window.Kind}:{spec.Window.Size}/{spec.Window.Slide}/{spec.Window.Offset}/{spec.Window.Gap}/{spec.Window.Count};")
        + string.Join(',', spec.Aggregates.Select(a => FormattableString.Invariant($"{a.Name}={a.Function}({a.Column},{a.Precision},{a.RelativeAccuracy},{a.K},{a.Capacity})")));

    // A restored slot's index entry and timers.
    private void Reindex(int slot)
    {
        _assigner.Index(slot);
        if (!_assigner.Timed)
        {
            return;
        }

        if ((_flags[slot] & Fired) == 0)
        {
            _fireTimers.Add(slot, _info[slot].End - 1);
        }
        else
        {
            _cleanupTimers.Add(slot, _info[slot].End - 1 + _lateness);
            if ((_flags[slot] & Dirty) != 0)
            {
                _dirty.Add(slot);
            }
        }
    }
}
