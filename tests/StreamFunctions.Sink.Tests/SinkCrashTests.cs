using StreamFunctions.Formats.Compression;
using StreamFunctions.Local.EventSourceMapping.Checkpoints;
using StreamFunctions.Testing;
using StreamFunctions.Testing.Kinesis;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The S3Sink process killed (as kill -9 does) at each stage of a write and a flush, restarted by the
/// runtime, its batch redelivered by the event source mapping: every record ends exactly once in S3.
/// 7.5 MB go through (one stream, written once, read by every case from the start with its own bucket,
/// state table and checkpoints), so each run stages chunks, uploads a 5 MiB+ multipart part, seals a
/// partition, completes and copies it, and delivers the rest on the final scheduled flush.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class SinkCrashTests(LocalAwsFixture aws)
{
    private const int Count = 7_500;
    private static readonly SemaphoreSlim Writing = new(1, 1);
    private static (string Stream, string Last)? _written;

    [Theory(Timeout = 300_000)]
    [InlineData("BeforeChunkPut:3", "none")]
    [InlineData("AfterChunkPut:3", "none")]
    [InlineData("AfterBatchCommit:2", "none")]
    [InlineData("BeforePartUpload:1", "none")]
    [InlineData("AfterPartUpload:1", "none")]
    [InlineData("AfterPartCommit:1", "none")]
    [InlineData("AfterSeal:1", "none")]
    [InlineData("BeforeComplete:1", "none")]
    [InlineData("AfterComplete:1", "none")]
    [InlineData("AfterObjectWrite:1", "none")]
    [InlineData("AfterFlushCommit:1", "none")]
    [InlineData("AfterPartUpload:1", "gzip")]
    [InlineData("AfterComplete:1", "gzip")]
    public async Task Sink_KilledAtStageAndRestarted_EveryRecordExactlyOnce(string failpoint, string compression)
    {
        var (stream, last) = await WrittenAsync();
        await using var env = new SinkEnvironment(aws, stream);
        await env.StartAsync();
        var codec = compression == "gzip" ? CompressionCodec.Gzip : CompressionCodec.None;
        var checkpoints = new InMemoryShardCheckpointStore();
        var crash = new Dictionary<string, string>
        {
            ["SINK_COMPRESSION"] = compression,
            ["STREAMFUNCTIONS_FAILPOINT"] = failpoint,
            ["STREAMFUNCTIONS_FAILPOINT_MARKER"] = env.Marker,
        };
        var coldStarts = 0;
        await using (var function = env.Function("S3Sink", new(crash)
        {
            // Uncompressed, a part goes up after 6 batches and the partition is due after 7; GZIP (about 76%) needs 8, and the final flush completes it.
            ["SINK_BUFFER_SIZE_MB"] = codec == CompressionCodec.Gzip ? "8" : "6",
            ["SINK_BUFFER_INTERVAL_SECONDS"] = "900",
        }))
        {
            await S3SinkFunctionTests.Mapping(env, function, checkpoints, batchSize: 1_000).DrainAsync();
            coldStarts += function.ColdStarts;
        }

        // The scheduled flush (interval 0: everything is due) may be the one killed: the schedule runs it again.
        await using (var flush = env.Function("S3Sink", new(crash) { ["SINK_BUFFER_INTERVAL_SECONDS"] = "0" }))
        {
            var flushed = await flush.InvokeAsync("""{"action":"flush"}"""u8.ToArray());
            if (!flushed.Succeeded)
            {
                await SinkEnvironment.FlushAsync(flush);
            }

            coldStarts += flush.ColdStarts;
        }

        Assert.True(File.Exists(env.Marker), $"the process was not killed at {failpoint}");
        Assert.True(coldStarts >= 3, $"{coldStarts} cold starts: the crash did not restart the function");
        var lines = await env.LinesAsync("data/", codec);
        Assert.True(lines.Count == Count, $"{lines.Count} records delivered; the functions logged:\n{env.LogTail}");
        Assert.Equal(Enumerable.Range(0, Count), lines.Select(l => SinkEnvironment.N(l.Line)).Order());
        var sizes = new List<int>();
        foreach (var key in lines.Select(l => l.Key).Distinct())
        {
            sizes.Add((await env.ObjectAsync(key, codec)).Length);
        }

        Assert.Contains(sizes, s => s >= 6 * 1024 * 1024);
        var state = await env.StateAsync();
        Assert.Empty(state.Partitions);
        Assert.Empty(state.Chunks);
        Assert.Equal(last, state.LastSequence);
        Assert.Equal(last, (await checkpoints.GetAsync("shardId-000000000000"))?.SequenceNumber);
    }

    private async Task<(string Stream, string Last)> WrittenAsync()
    {
        await Writing.WaitAsync();
        try
        {
            if (_written is null)
            {
                var env = new SinkEnvironment(aws);
                await env.Kinesis.CreateActiveAsync(env.Stream, 1);
                _written = (env.Stream, await env.PutAsync(Count, Record));
            }

            return _written.Value;
        }
        finally
        {
            Writing.Release();
        }
    }

    // About 1 KB of JSON with incompressible padding (so GZIP output still fills 5 MiB parts).
    private static string Record(int n)
    {
        var padding = new byte[720];
        new Random(n).NextBytes(padding);
        return $$"""{"n":{{n}},"type":"click","pad":"{{Convert.ToBase64String(padding)}}"}""";
    }
}
