using BenchmarkDotNet.Attributes;

namespace StreamFunctions.Benchmarks.Streams;

/// <summary>Partition key → 128-bit hash key, the step every Kinesis write and route takes.</summary>
[MemoryDiagnoser]
public class HashKeyBenchmarks
{
    private string[] _keys = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _keys = Enumerable.Range(0, 1024).Select(_ => Guid.NewGuid().ToString() + random.Next()).ToArray();
    }

    [Benchmark(OperationsPerInvoke = 1024)]
    public UInt128 FromPartitionKey()
    {
        UInt128 last = 0;
        foreach (var key in _keys)
        {
            last ^= StreamFunctions.KinesisApi.HashKeys.FromPartitionKey(key);
        }

        return last;
    }
}
