using System.Buffers;
using System.Text;
using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.Records.Kpl;

/// <summary>
/// One Kinesis record made by <see cref="KplAggregator"/>: a KPL aggregate of several user records, or a
/// single user record sent as is. Its data lives in a pooled buffer: <see cref="Dispose"/> once the record
/// has been put (after that, <see cref="Data"/> must not be used).
/// </summary>
public sealed class KinesisAggregate : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal KinesisAggregate(byte[] buffer, int length, string partitionKey, string? explicitHashKey, int userRecordCount, bool isAggregated)
    {
        _buffer = buffer;
        _length = length;
        PartitionKey = partitionKey;
        ExplicitHashKey = explicitHashKey;
        UserRecordCount = userRecordCount;
        IsAggregated = isAggregated;
    }

    /// <summary>The Kinesis record's partition key: the first user record's.</summary>
    public string PartitionKey { get; }

    /// <summary>The Kinesis record's explicit hash key: the first user record's, if it had one.</summary>
    public string? ExplicitHashKey { get; }

    /// <summary>The Kinesis record's data: magic number, protobuf and MD5, or the single user record's data.</summary>
    public ReadOnlyMemory<byte> Data => _buffer is null
        ? throw new ObjectDisposedException(nameof(KinesisAggregate))
        : _buffer.AsMemory(0, _length);

    /// <summary>How many user records it carries.</summary>
    public int UserRecordCount { get; }

    /// <summary>Whether it is a KPL aggregate (false when one user record is sent as is, as the KPL does).</summary>
    public bool IsAggregated { get; }

    /// <summary>Its size as Kinesis counts it against the 1 MiB record limit: data plus UTF-8 partition key.</summary>
    public int SizeBytes => _length + Encoding.UTF8.GetByteCount(PartitionKey);

    /// <summary>The PutRecords entry that puts it (referencing <see cref="Data"/>: keep this object undisposed until the put is done).</summary>
    public PutRecordsRequestEntry ToPutRecordsRequestEntry() => new(Data, PartitionKey, ExplicitHashKey);

    internal Span<byte> Writable => _buffer.AsSpan(0, _length);

    /// <summary>Returns the data buffer to the pool.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
