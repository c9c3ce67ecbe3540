using StreamFunctions.Streams;
using StreamFunctions.Streams.Model;

namespace StreamFunctions.Testing.Kinesis;

/// <summary>Stream set-up shared by the tests.</summary>
public static class KinesisStreams
{
    /// <summary>Creates a stream and waits (up to 10 s) until it is ACTIVE.</summary>
    /// <param name="kinesis">The client.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="shards">Its shard count.</param>
    /// <returns>A task.</returns>
    public static async Task CreateActiveAsync(this IKinesisApi kinesis, string stream, int shards)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        await kinesis.CreateStreamAsync(new CreateStreamRequest(stream, shards)).ConfigureAwait(false);
        await kinesis.WaitActiveAsync(stream).ConfigureAwait(false);
    }

    /// <summary>Waits (up to 10 s) until a stream is ACTIVE.</summary>
    /// <param name="kinesis">The client.</param>
    /// <param name="stream">The stream's name.</param>
    /// <returns>A task.</returns>
    public static async Task WaitActiveAsync(this IKinesisApi kinesis, string stream)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        for (var i = 0; i < 200 && (await kinesis.DescribeStreamSummaryAsync(stream).ConfigureAwait(false)).StreamStatus != StreamStatus.Active; i++)
        {
            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}
