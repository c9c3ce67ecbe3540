using StreamFunctions.Sink.Buffer;
using StreamFunctions.Testing;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The buffering interval on a clock the test moves (the sink over the folder store, its state in memory): a partition
/// is delivered neither by a schedule nor by an invocation before its interval, and by either once it is due.
/// </summary>
public sealed class BufferIntervalTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private readonly ManualTimeProvider _time = new(Start);
    private FolderSinkStore? _store;

    private FolderSinkStore Store => _store!;

    private DateTimeOffset Deadline => _time.GetUtcNow().AddMinutes(1);

    public async Task InitializeAsync() => _store = await FolderSinkStore.CreateAsync();

    public async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact]
    public async Task FlushDue_BeforeTheInterval_DeliversNothingAndOnceItPassed_DeliversEveryRecord()
    {
        var sink = Sink(TimeSpan.FromSeconds(2));
        await sink.WriteAsync(Records(0, 300), Deadline);

        var (atOnce, _) = await sink.FlushDueAsync(Deadline);
        _time.Advance(TimeSpan.FromSeconds(1.9));
        var (justBefore, _) = await sink.FlushDueAsync(Deadline);

        Assert.Equal((0, 0), (atOnce, justBefore));
        Assert.Empty(await Store.KeysAsync("data/"));

        _time.Advance(TimeSpan.FromSeconds(0.2));
        var (due, error) = await sink.FlushDueAsync(Deadline);

        Assert.Null(error);
        Assert.True(due > 0, $"{due} objects");
        Assert.Equal(Enumerable.Range(0, 300), await NumbersAsync());
    }

    [Fact]
    public async Task Write_OfAShardWhosePartitionIsPastItsInterval_DeliversIt()
    {
        var sink = Sink(TimeSpan.FromSeconds(2));
        await sink.WriteAsync(Records(0, 100), Deadline);
        _time.Advance(TimeSpan.FromSeconds(1));
        await sink.WriteAsync(Records(100, 1), Deadline);
        Assert.Empty(await Store.KeysAsync("data/"));

        _time.Advance(TimeSpan.FromSeconds(1.2));
        var written = await sink.WriteAsync(Records(101, 1), Deadline);

        Assert.True(written.ObjectsWritten > 0, $"{written.ObjectsWritten} objects");
        Assert.Equal(Enumerable.Range(0, 102), await NumbersAsync());
    }

    private static Lambda.Events.Kinesis.KinesisEvent Records(int first, int count) =>
        KinesisEvents.Of(Enumerable.Range(first, count).Select(n => $$"""{"n":{{n}}}"""), Start, first);

    private S3Sink Sink(TimeSpan interval) =>
        new(Store.S3, new InMemorySinkStateStore(), new S3SinkOptions { Bucket = FolderSinkStore.Bucket, Prefix = "data/", BufferInterval = interval }, transform: null, _time);

    private async Task<List<int>> NumbersAsync() =>
        [.. (await Store.LinesAsync("data/")).Select(l => SinkEnvironment.N(l.Line)).Order()];
}
