using StreamFunctions.Lambda.EventSources.Checkpoints;
using StreamFunctions.Storage.Compression;
using StreamFunctions.Testing;

namespace StreamFunctions.Sink.Tests;

/// <summary>
/// The S3Sink process killed (as kill -9 does) at each stage of a write and a flush, restarted by the
/// runtime, its batch redelivered by the event source mapping: every record ends exactly once in S3.
/// About 10 MB go through, so the run stages chunks, uploads a 5 MiB+ multipart part, seals an 8 MiB
/// partition, completes and copies it, and delivers the rest on the final scheduled flush.
/// </summary>
[Collection(LocalAwsCollection.Name)]
[Trait(TestCategories.Category, TestCategories.Integration)]
public sealed class SinkCrashTests(LocalAwsFixture aws)
{
    private const int Count = 10_000;

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
        await using var env = new SinkEnvironment(aws);
        await env.StartAsync();
        var last = await env.PutAsync(Count, Record);
        var codec = compression == "gzip" ? CompressionCodec.Gzip : CompressionCodec.None;
        var checkpoints = new InMemoryShardCheckpointStore();
        await using (var function = env.Function("S3Sink", new()
        {
            ["SINK_BUFFER_SIZE_MB"] = "8",
            ["SINK_BUFFER_INTERVAL_SECONDS"] = "900",
            ["SINK_COMPRESSION"] = compression,
            ["STREAMFUNCTIONS_FAILPOINT"] = failpoint,
            ["STREAMFUNCTIONS_FAILPOINT_MARKER"] = env.Marker,
        }))
        {
            await S3SinkFunctionTests.Mapping(env, function, checkpoints, batchSize: 1_000).DrainAsync();
            Assert.True(File.Exists(env.Marker), $"the process was not killed at {failpoint}");
            Assert.True(function.ColdStarts >= 2, $"{function.ColdStarts} cold starts: the crash did not restart the function");
        }

        await using (var flush = env.Function("S3Sink", new() { ["SINK_BUFFER_INTERVAL_SECONDS"] = "0", ["SINK_COMPRESSION"] = compression }))
        {
            await SinkEnvironment.FlushAsync(flush);
        }

        var lines = await env.LinesAsync("data/", codec);
        Assert.True(lines.Count == Count, $"{lines.Count} records delivered; the functions logged:\n{env.LogTail}");
        Assert.Equal(Enumerable.Range(0, Count), lines.Select(l => SinkEnvironment.N(l.Line)).Order());
        var sizes = new List<int>();
        foreach (var key in lines.Select(l => l.Key).Distinct())
        {
            sizes.Add((await env.ObjectAsync(key, codec)).Length);
        }

        Assert.Contains(sizes, s => s >= 8 * 1024 * 1024);
        var state = await env.StateAsync();
        Assert.Empty(state.Partitions);
        Assert.Empty(state.Chunks);
        Assert.Equal(last, state.LastSequence);
        Assert.Equal(last, (await checkpoints.GetAsync("shardId-000000000000"))?.SequenceNumber);
    }

    // About 1 KB of JSON with incompressible padding (so GZIP output still fills 5 MiB parts).
    private static string Record(int n)
    {
        var padding = new byte[720];
        new Random(n).NextBytes(padding);
        return $$"""{"n":{{n}},"type":"click","pad":"{{Convert.ToBase64String(padding)}}"}""";
    }
}
