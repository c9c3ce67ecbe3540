using System.Text;
using StreamFunctions.KinesisApi;
using StreamFunctions.KinesisApi.Model;
using StreamFunctions.Testing;

namespace StreamFunctions.Local.EventSourceMapping.Tests.Support;

/// <summary>
/// A stream to run the mapping against (the embedded log, or the Kinesis emulator) and the runner's clock.
/// Arrival times come from the stream: on the embedded log they follow <see cref="Time"/>; on the emulator they
/// are the wall clock, so moving "arrival time" forward waits (no longer than the test needs).
/// </summary>
public abstract class StreamHarness : IAsyncDisposable
{
    private readonly List<string> _streams = [];

    internal abstract ManualTimeProvider Time { get; }

    public abstract IKinesisApi Kinesis { get; }

    /// <summary>The tumbling window length the window tests use (short on the wall clock).</summary>
    public abstract int WindowSeconds { get; }

    /// <summary>Lets <paramref name="by"/> pass for records written from now on and for the runner's clock.</summary>
    public abstract Task LetTimePassAsync(TimeSpan by);

    /// <summary>Moves the runner's clock and the arrival clock just past the next multiple of <paramref name="seconds"/>.</summary>
    public abstract Task MoveToNextWindowAsync(int seconds);

    protected abstract Task WaitActiveAsync(string stream);

    public async Task<string> CreateStreamAsync(int shards = 1)
    {
        var name = LocalAwsFixture.UniqueName("esm");
        await Kinesis.CreateStreamAsync(new CreateStreamRequest(name, shards));
        _streams.Add(name);
        await WaitActiveAsync(name);
        return name;
    }

    /// <summary>Waits until the stream has <paramref name="count"/> open shards (resharding is asynchronous on Kinesis).</summary>
    public async Task WaitForOpenShardsAsync(string stream, int count)
    {
        for (var i = 0; i < 200; i++)
        {
            var shards = await Kinesis.ListShardsAsync(new ListShardsRequest(StreamName: stream));
            var summary = await Kinesis.DescribeStreamSummaryAsync(stream);
            if (shards.Shards.Count(s => s.IsOpen) == count && summary.StreamStatus == StreamStatus.Active)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{stream} did not reach {count} open shards.");
    }

    /// <summary>Writes records in one PutRecords call; returns their sequence numbers in order.</summary>
    public async Task<IReadOnlyList<string>> PutAsync(string stream, params (string Key, string Data)[] records)
    {
        var sequences = new List<string>();
        foreach (var chunk in records.Chunk(500))
        {
            var response = await Kinesis.PutRecordsAsync(new PutRecordsRequest(
                stream,
                [.. chunk.Select(r => new PutRecordsRequestEntry(Encoding.UTF8.GetBytes(r.Data), r.Key))]));
            Assert.Equal(0, response.FailedRecordCount);
            sequences.AddRange(response.Records.Select(r => r.SequenceNumber!));
        }

        return sequences;
    }

    /// <summary><paramref name="count"/> records with data <c>prefix0</c>, <c>prefix1</c>, ... under one key.</summary>
    public Task<IReadOnlyList<string>> PutManyAsync(string stream, int count, string key = "k", string prefix = "r") =>
        PutAsync(stream, [.. Enumerable.Range(0, count).Select(i => (key, prefix + i))]);

    public async ValueTask DisposeAsync()
    {
        foreach (var stream in _streams)
        {
            try
            {
                await Kinesis.DeleteStreamAsync(new DeleteStreamRequest(stream, EnforceConsumerDeletion: true));
            }
            catch (KinesisApi.Exceptions.KinesisException)
            {
                // Already gone: nothing to clean.
            }
        }

        (Kinesis as IDisposable)?.Dispose();
        GC.SuppressFinalize(this);
    }
}
