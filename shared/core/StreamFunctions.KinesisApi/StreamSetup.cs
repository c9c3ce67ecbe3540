using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.KinesisApi;

/// <summary>Creating a stream and waiting for it: what a local run, a test or a tool does before writing.</summary>
public static class StreamSetup
{
    /// <summary>Creates a stream and waits until it is ACTIVE.</summary>
    /// <param name="kinesis">The stream API.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="shards">Its shard count.</param>
    /// <param name="timeout">How long to wait (10 s when null).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    /// <exception cref="TimeoutException">The stream did not become ACTIVE in time.</exception>
    public static async Task CreateActiveAsync(this IKinesisApi kinesis, string stream, int shards, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        await kinesis.CreateStreamAsync(new CreateStreamRequest(stream, shards), cancellationToken).ConfigureAwait(false);
        await kinesis.WaitActiveAsync(stream, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until a stream is ACTIVE.</summary>
    /// <param name="kinesis">The stream API.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="timeout">How long to wait (10 s when null).</param>
    /// <param name="cancellationToken">Cancels.</param>
    /// <returns>A task.</returns>
    /// <exception cref="TimeoutException">The stream did not become ACTIVE in time.</exception>
    public static async Task WaitActiveAsync(this IKinesisApi kinesis, string stream, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kinesis);
        var polls = (int)Math.Ceiling((timeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds / 50);
        for (var i = 0; i < polls; i++)
        {
            if ((await kinesis.DescribeStreamSummaryAsync(stream, cancellationToken).ConfigureAwait(false)).StreamStatus == StreamStatus.Active)
            {
                return;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"The stream {stream} is not ACTIVE after {timeout ?? TimeSpan.FromSeconds(10)}.");
    }
}
