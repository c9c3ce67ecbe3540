using BenchmarkDotNet.Attributes;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.EventSourceMapping;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Benchmarks.EventSources;

/// <summary>
/// The event-source-mapping runner's own cost: drain 10,000 records of 256 bytes (200 keys) from the
/// embedded stream log on a temp folder (read from the OS cache) into a function that returns at once. Measures reading, batching, lanes, event
/// JSON writing and checkpointing — the overhead a local run adds on top of the function.
/// </summary>
[MemoryDiagnoser]
public class EventSourceMappingBenchmarks
{
    private const int Records = 10_000;
    private FaultInjectingKinesis _kinesis = null!;
    private readonly NoOpInvoker _invoker = new();

    [Params(100, 1000)]
    public int BatchSize { get; set; }

    [Params(1, 10)]
    public int ParallelizationFactor { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _kinesis = FaultInjectingKinesis.OnTempFolder();
        await _kinesis.CreateStreamAsync(new CreateStreamRequest("bench", 1));
        var data = new byte[256];
        new Random(42).NextBytes(data);
        for (var i = 0; i < Records; i += 500)
        {
            await _kinesis.PutRecordsAsync(new PutRecordsRequest(
                "bench",
                [.. Enumerable.Range(i, 500).Select(n => new PutRecordsRequestEntry(data, "key-" + (n % 200)))]));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _kinesis.Dispose();

    [Benchmark(OperationsPerInvoke = Records)]
    public async Task<int> DrainPerRecord()
    {
        var options = new KinesisEventSourceOptions { StreamName = "bench", BatchSize = BatchSize, ParallelizationFactor = ParallelizationFactor };
        var result = await new KinesisEventSourceMapping(_kinesis, _invoker, options).DrainAsync();
        return result.RecordsRead;
    }

    private sealed class NoOpInvoker : ILambdaInvoker
    {
        private static readonly LambdaInvocationResult Ok = new(200, ReadOnlyMemory<byte>.Empty, null, "bench");

        public Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
            Task.FromResult(Ok);
    }
}
