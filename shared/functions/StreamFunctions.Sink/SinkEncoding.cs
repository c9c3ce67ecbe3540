namespace StreamFunctions.Sink;

/// <summary>What <c>S3Sink.EncodeAsync</c> produced: a batch encoded as a write stages it, nothing read or written.</summary>
/// <param name="Delivered">Records encoded for delivery.</param>
/// <param name="Dropped">Records the transformation dropped.</param>
/// <param name="Failed">Records encoded for the error prefix.</param>
/// <param name="Partitions">Partitions in the chunk.</param>
/// <param name="Chunk">The chunk: each partition's bytes, compressed.</param>
public sealed record SinkEncoding(int Delivered, int Dropped, int Failed, int Partitions, ReadOnlyMemory<byte> Chunk);
