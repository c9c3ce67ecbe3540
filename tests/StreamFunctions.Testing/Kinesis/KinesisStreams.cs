using StreamFunctions.KinesisApi;

namespace StreamFunctions.Testing.Kinesis;

/// <summary>Stream set-up shared by the tests (<see cref="StreamSetup"/> with the tests' 10 s limit).</summary>
public static class KinesisStreams
{
    /// <summary>Creates a stream and waits (up to 10 s) until it is ACTIVE.</summary>
    /// <param name="kinesis">The client.</param>
    /// <param name="stream">The stream's name.</param>
    /// <param name="shards">Its shard count.</param>
    /// <returns>A task.</returns>
    public static Task CreateActiveAsync(this IKinesisApi kinesis, string stream, int shards) =>
        StreamSetup.CreateActiveAsync(kinesis, stream, shards);

    /// <summary>Waits (up to 10 s) until a stream is ACTIVE.</summary>
    /// <param name="kinesis">The client.</param>
    /// <param name="stream">The stream's name.</param>
    /// <returns>A task.</returns>
    public static Task WaitActiveAsync(this IKinesisApi kinesis, string stream) =>
        StreamSetup.WaitActiveAsync(kinesis, stream);
}
