using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Records;
using StreamFunctions.Records.Kpl;

namespace StreamFunctions.Benchmarks.Storage;

/// <summary>
/// KPL aggregation and de-aggregation, per user record, on the data bench/kpl-vs-peer.sh gives AWS's
/// reference (aws-kinesis-agg): random data of <see cref="RecordBytes"/> bytes, random 32-hex-character
/// partition keys, Kinesis records filled to 1 MiB, MD5 computed and checked.
/// </summary>
[MemoryDiagnoser]
public class KplAggregationBenchmarks
{
    private const int Records = 100_000;

    private UserRecord[] _records = [];
    private List<KinesisRecord> _kinesis = [];
    private readonly List<KinesisAggregate> _aggregates = [];
    private readonly List<UserRecord> _userRecords = new(Records);
    private KplAggregator _aggregator = null!;

    /// <summary>Bytes of data per user record.</summary>
    [Params(100, 1000)]
    public int RecordBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _records = new UserRecord[Records];
        for (var i = 0; i < Records; i++)
        {
            _records[i] = new UserRecord(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), RandomNumberGenerator.GetBytes(RecordBytes));
        }

        _aggregator = new KplAggregator();
        var aggregates = new List<KinesisAggregate>();
        _aggregator.AddRange(_records, aggregates);
        var arrival = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        _kinesis = aggregates.Select((a, i) => new KinesisRecord(i.ToString(System.Globalization.CultureInfo.InvariantCulture), arrival, a.Data.ToArray(), a.PartitionKey)).ToList();
        foreach (var aggregate in aggregates)
        {
            aggregate.Dispose();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _aggregator.Dispose();

    /// <summary>
    /// All records into 1 MiB Kinesis records, checksums computed together (AddRange). Records come in
    /// chunks of 16 MiB, as a streaming producer would pass them, and the Kinesis records of each chunk
    /// are released once "sent", so their pooled buffers are reused; the output is the same as one call.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public int Aggregate()
    {
        var chunk = 16 * 1024 * 1024 / RecordBytes;
        var count = 0;
        for (var start = 0; start < _records.Length; start += chunk)
        {
            var last = start + chunk >= _records.Length;
            _aggregator.AddRange(_records.AsSpan(start, Math.Min(chunk, _records.Length - start)), _aggregates, flush: last);
            count += _aggregates.Count;
            foreach (var aggregate in _aggregates)
            {
                aggregate.Dispose();
            }

            _aggregates.Clear();
        }

        return count;
    }

    /// <summary>The same through TryAdd/Build, one checksum at a time.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public int AggregateOneByOne()
    {
        var count = 0;
        foreach (ref readonly var record in _records.AsSpan())
        {
            if (!_aggregator.TryAdd(record))
            {
                _aggregator.Build().Dispose();
                _aggregator.TryAdd(record);
                count++;
            }
        }

        _aggregator.Build().Dispose();
        return count + 1;
    }

    /// <summary>The Kinesis records back into user records, as a batch (checksums checked together).</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public int Deaggregate()
    {
        _userRecords.Clear();
        return KplDeaggregator.Deaggregate(_kinesis, _userRecords);
    }

    /// <summary>The same one Kinesis record at a time.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public int DeaggregateOneByOne()
    {
        _userRecords.Clear();
        var count = 0;
        foreach (var record in _kinesis)
        {
            count += KplDeaggregator.Deaggregate(record, _userRecords);
        }

        return count;
    }
}
