using System.Collections.Concurrent;
using System.Text;
using StreamFunctions.Sink.Buffer;
using StreamFunctions.Testing;

namespace StreamFunctions.Sink.Tests;

/// <summary>The sink's seams: where finished partitions go (<see cref="IPartitionDelivery"/>), and how big a state is (<see cref="ISinkStateStore.SizeOf"/>).</summary>
public sealed class PartitionDeliveryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task WriteAsync_OnAnotherDelivery_ObjectAtItsKeyAndChunkReleased()
    {
        var delivery = new InMemoryPartitionDelivery();
        var sink = new S3Sink(delivery, new InMemorySinkStateStore(), Options(TimeSpan.Zero), time: new ManualTimeProvider(Now));

        var result = await sink.WriteAsync(KinesisEvents.Of(["{\"n\":1}", "{\"n\":2}"], Now), Now.AddMinutes(1));

        Assert.Equal(1, result.ObjectsWritten);
        var (key, data) = Assert.Single(delivery.Objects);
        Assert.Equal("data/clicks-shardId-000000000000-49600000000000000-49600000000000001.jsonl", key);
        Assert.Equal("{\"n\":1}\n{\"n\":2}\n", Encoding.UTF8.GetString(data));
    }

    [Fact]
    public async Task WriteAsync_StoreMeasuresTheStateOverStateFlushBytes_DeliversBeforeTheInterval()
    {
        var records = KinesisEvents.Of(["{\"n\":1}"], Now);
        var measured = new InMemoryPartitionDelivery();
        var plain = new InMemoryPartitionDelivery();

        var early = await new S3Sink(measured, new MeasuredStore(int.MaxValue), Options(TimeSpan.FromSeconds(900)), time: new ManualTimeProvider(Now)).WriteAsync(records, Now.AddMinutes(1));
        var onTime = await new S3Sink(plain, new InMemorySinkStateStore(), Options(TimeSpan.FromSeconds(900)), time: new ManualTimeProvider(Now)).WriteAsync(records, Now.AddMinutes(1));

        Assert.Equal(1, early.ObjectsWritten);
        Assert.Equal(0, onTime.ObjectsWritten);
    }

    private static S3SinkOptions Options(TimeSpan interval) => new() { Bucket = "bucket", Prefix = "data/", BufferInterval = interval };

    // A store that reports every state as the given size.
    private sealed class MeasuredStore(int size) : ISinkStateStore
    {
        private readonly InMemorySinkStateStore _inner = new();

        public Task<SinkShardState> LoadAsync(string stream, string shard, CancellationToken cancellationToken = default) => _inner.LoadAsync(stream, shard, cancellationToken);

        public Task CommitAsync(SinkShardState state, CancellationToken cancellationToken = default) => _inner.CommitAsync(state, cancellationToken);

        public IAsyncEnumerable<(string Stream, string Shard)> ShardsAsync(CancellationToken cancellationToken = default) => _inner.ShardsAsync(cancellationToken);

        public int SizeOf(SinkShardState state) => size;
    }

    // Objects in memory; an upload is its parts until completed.
    private sealed class InMemoryPartitionDelivery : IPartitionDelivery
    {
        private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, byte[]>> _uploads = new();

        public ConcurrentDictionary<string, byte[]> Objects { get; } = new();

        public Task StageAsync(string key, ArraySegment<byte> chunk, CancellationToken cancellationToken)
        {
            Objects[key] = [.. chunk];
            return Task.CompletedTask;
        }

        public Task ReadStagedAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Objects[key].AsSpan((int)offset, destination.Length).CopyTo(destination.Span);
            return Task.CompletedTask;
        }

        public Task PutObjectAsync(string key, byte[] data, CancellationToken cancellationToken)
        {
            Objects[key] = data;
            return Task.CompletedTask;
        }

        public Task<string> StartUploadAsync(string key, CancellationToken cancellationToken)
        {
            var id = Guid.NewGuid().ToString("N");
            _uploads[id] = new();
            return Task.FromResult(id);
        }

        public Task<string> UploadPartAsync(string key, string uploadId, int number, byte[] data, CancellationToken cancellationToken)
        {
            _uploads[uploadId][number] = data;
            return Task.FromResult($"etag-{number}");
        }

        public Task CompleteUploadAsync(string key, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken cancellationToken)
        {
            Objects[key] = [.. parts.SelectMany(p => _uploads[uploadId][p.Number])];
            return Task.CompletedTask;
        }

        public Task CopyAsync(string sourceKey, string destinationKey, CancellationToken cancellationToken)
        {
            Objects[destinationKey] = Objects[sourceKey];
            return Task.CompletedTask;
        }

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(Objects.ContainsKey(key));

        public Task DeleteStagedAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            foreach (var key in keys)
            {
                Objects.TryRemove(key, out _);
            }

            return Task.CompletedTask;
        }
    }
}
