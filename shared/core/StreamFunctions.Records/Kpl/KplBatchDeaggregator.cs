using System.Buffers;
using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Records.Kpl;

/// <summary>
/// A user record of a de-aggregated batch: which source record it came from, its sub-sequence number and data, its
/// partition key (when asked for), or, for a corrupt aggregate, the error (then it stands for the whole source record).
/// </summary>
/// <param name="Source">The index of its source record in the batch.</param>
/// <param name="Subsequence">Its index among its source record's user records (0 for a record that is not an aggregate).</param>
/// <param name="Data">Its bytes: a slice of the source record's data (all of it when the record is not an aggregate or is corrupt).</param>
/// <param name="PartitionKey">Its partition key, when de-aggregated with keys; null otherwise.</param>
/// <param name="Error">Why the source record could not be de-aggregated (a corrupt KPL aggregate), or null.</param>
public readonly record struct DeaggregatedRecord(int Source, long Subsequence, ReadOnlyMemory<byte> Data, string? PartitionKey, KplFormatException? Error)
{
    /// <summary>The record-level reason of <see cref="Error"/> (without the batch's record index), or null.</summary>
    public string? ErrorMessage => Error is null ? null : (Error.InnerException ?? Error).Message;
}

/// <summary>
/// The one de-aggregation of a batch of stream records (a Lambda event's Kinesis records, a GetRecords page): the
/// checksums of its aggregates computed together (<see cref="KplDeaggregator.DeaggregateEach(ReadOnlySpan{ReadOnlyMemory{byte}}, List{Range}, Span{int}, Span{KplFormatException})"/>),
/// a corrupt aggregate isolated as one entry with its error, every other record's user records in order. Records that
/// cannot be aggregates (Kafka) pass through, one user record each, without being looked at.
/// </summary>
public static class KplBatchDeaggregator
{
    /// <summary>De-aggregates <paramref name="records"/> into <paramref name="users"/> (appended), without partition keys.</summary>
    /// <param name="records">The records' data, in order.</param>
    /// <param name="mayBeAggregated">False for a source without KPL aggregation (Kafka): each record is one user record.</param>
    /// <param name="users">Where the user records go, source after source.</param>
    /// <param name="scratch">A list to reuse between calls for the user records' ranges (cleared here).</param>
    public static void Deaggregate(ReadOnlySpan<ReadOnlyMemory<byte>> records, bool mayBeAggregated, List<DeaggregatedRecord> users, List<Range> scratch)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(scratch);
        if (!mayBeAggregated)
        {
            users.Capacity = Math.Max(users.Capacity, users.Count + records.Length);
            for (var i = 0; i < records.Length; i++)
            {
                users.Add(new DeaggregatedRecord(i, 0, records[i], null, null));
            }

            return;
        }

        var counts = ArrayPool<int>.Shared.Rent(Math.Max(1, records.Length));
        var errors = ArrayPool<KplFormatException?>.Shared.Rent(Math.Max(1, records.Length));
        try
        {
            scratch.Clear();
            KplDeaggregator.DeaggregateEach(records, scratch, counts, errors);
            users.Capacity = Math.Max(users.Capacity, users.Count + scratch.Count + records.Length);
            var at = 0;
            for (var i = 0; i < records.Length; i++)
            {
                if (errors[i] is { } error)
                {
                    users.Add(new DeaggregatedRecord(i, 0, records[i], null, error));
                    continue;
                }

                var data = records[i];
                for (var n = 0; n < counts[i]; n++, at++)
                {
                    users.Add(new DeaggregatedRecord(i, n, data[scratch[at]], null, null));
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<KplFormatException?>.Shared.Return(errors, clearArray: true);
        }
    }

    /// <summary>De-aggregates <paramref name="records"/> into <paramref name="users"/> (appended), with each user record's partition key.</summary>
    /// <param name="records">The records' data, in order.</param>
    /// <param name="partitionKeyOf">The partition key of record <c>i</c>: its user record's key when it is not an aggregate.</param>
    /// <param name="users">Where the user records go, source after source.</param>
    public static void Deaggregate(ReadOnlySpan<ReadOnlyMemory<byte>> records, Func<int, string> partitionKeyOf, List<DeaggregatedRecord> users)
    {
        ArgumentNullException.ThrowIfNull(partitionKeyOf);
        ArgumentNullException.ThrowIfNull(users);
        var counts = ArrayPool<int>.Shared.Rent(Math.Max(1, records.Length));
        var errors = ArrayPool<KplFormatException?>.Shared.Rent(Math.Max(1, records.Length));
        var decoded = new List<UserRecord>(records.Length);
        try
        {
            KplDeaggregator.DeaggregateEach(records, i => partitionKeyOf(i), decoded, counts, errors);
            var at = 0;
            for (var i = 0; i < records.Length; i++)
            {
                if (errors[i] is { } error)
                {
                    users.Add(new DeaggregatedRecord(i, 0, records[i], partitionKeyOf(i), error));
                    continue;
                }

                for (var n = 0; n < counts[i]; n++, at++)
                {
                    var user = decoded[at];
                    users.Add(new DeaggregatedRecord(i, user.SubSequenceNumber, user.Data, user.PartitionKey.ToString(), null));
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<KplFormatException?>.Shared.Return(errors, clearArray: true);
        }
    }
}
