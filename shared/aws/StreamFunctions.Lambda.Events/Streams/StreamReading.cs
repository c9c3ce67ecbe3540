using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events.Serialization;

namespace StreamFunctions.Lambda.Events.Streams;

// What the Kinesis and Kafka readers share: the pooled buffers, base64 straight into them, and the texts every record
// repeats decoded once.
internal sealed class StreamReading : IDisposable
{
    private byte[]? _buffer;
    private StreamRecord[] _records;

    public StreamReading(int jsonLength)
    {
        // Base64 decodes to at most 3/4 of its length (and a header's bytes take at least 2 characters each), so the
        // whole event bounds all the data.
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, (jsonLength / 4 * 3) + 3));
        _records = ArrayPool<StreamRecord>.Shared.Rent(Math.Max(4, jsonLength / 600));
    }

    public int Used { get; private set; }

    public int Count { get; private set; }

    public byte[] Buffer => _buffer!;

    public void Add(in StreamRecord record)
    {
        if (Count == _records.Length)
        {
            var larger = ArrayPool<StreamRecord>.Shared.Rent(_records.Length * 2);
            _records.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<StreamRecord>.Shared.Return(_records, clearArray: true);
            _records = larger;
        }

        _records[Count++] = record;
    }

    public StreamRecord Last => _records[Count - 1];

    // Base64 at the reader into the buffer; the error (the value quoted and why), or null.
    public string? TryDecode(ref Utf8JsonReader reader, out ReadOnlyMemory<byte> data)
    {
        ReadOnlySpan<byte> base64 = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (reader.ValueIsEscaped)
        {
            // Some writers escape '/' as "\/": unescape first (rare; allocates for this value only).
            base64 = Encoding.UTF8.GetBytes(reader.GetString()!);
        }

        if (!Base64Data.TryDecode(base64, _buffer.AsSpan(Used), out var written, out var error))
        {
            data = default;
            return $"{Base64Data.Quote(Encoding.UTF8.GetString(base64))} is not valid base64: {error}";
        }

        data = new ReadOnlyMemory<byte>(_buffer, Used, written);
        Used += written;
        return null;
    }

    public ReadOnlyMemory<byte> Append(byte value)
    {
        _buffer![Used] = value;
        return new ReadOnlyMemory<byte>(_buffer, Used++, 1);
    }

    // The records, grouped by partition (stable: a partition's records keep their order); the batch takes the buffers.
    public StreamRecordBatch Finish(string eventSource, StreamSourceKind kind, List<StreamPartition> partitions, string? eventSourceArn, string? bootstrapServers, KinesisTumblingWindow? window)
    {
        var records = _records;
        if (!Grouped(records.AsSpan(0, Count), partitions))
        {
            var sorted = ArrayPool<StreamRecord>.Shared.Rent(records.Length);
            var at = 0;
            foreach (var partition in partitions)
            {
                for (var i = 0; i < Count; i++)
                {
                    if (ReferenceEquals(records[i].Partition, partition))
                    {
                        sorted[at++] = records[i];
                    }
                }
            }

            ArrayPool<StreamRecord>.Shared.Return(records, clearArray: true);
            records = sorted;
        }

        var start = 0;
        foreach (var partition in partitions)
        {
            var count = 0;
            while (start + count < Count && ReferenceEquals(records[start + count].Partition, partition))
            {
                count++;
            }

            partition.Records = new ArraySegment<StreamRecord>(records, start, count);
            start += count;
        }

        var batch = new StreamRecordBatch(eventSource, kind, _buffer, records, new ArraySegment<StreamRecord>(records, 0, Count), partitions, eventSourceArn, bootstrapServers, window);
        _buffer = null;
        _records = [];
        return batch;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = null;
        }

        if (_records.Length > 0)
        {
            ArrayPool<StreamRecord>.Shared.Return(_records, clearArray: true);
            _records = [];
        }
    }

    private static bool Grouped(ReadOnlySpan<StreamRecord> records, List<StreamPartition> partitions)
    {
        var next = 0;
        for (var i = 0; i < records.Length; i++)
        {
            if (i == 0 || !ReferenceEquals(records[i].Partition, records[i - 1].Partition))
            {
                if (next == partitions.Count || !ReferenceEquals(records[i].Partition, partitions[next]))
                {
                    return false;
                }

                next++;
            }
        }

        return true;
    }
}

// A text every record repeats (ARN, region, shard, timestamp type): decoded again only when its bytes change.
internal sealed class SharedText
{
    private byte[] _last = [];
    private string? _text;

    public string Read(ref Utf8JsonReader reader)
    {
        if (_text is null || reader.ValueIsEscaped || reader.HasValueSequence || !reader.ValueSpan.SequenceEqual(_last))
        {
            _text = reader.GetString()!;
            _last = reader.HasValueSequence ? [] : reader.ValueSpan.ToArray();
        }

        return _text;
    }

    // Part of a value (the shard of an eventID), as it is.
    public string Of(ReadOnlySpan<byte> raw)
    {
        if (_text is null || !raw.SequenceEqual(_last))
        {
            _text = Encoding.UTF8.GetString(raw);
            _last = raw.ToArray();
        }

        return _text;
    }
}
