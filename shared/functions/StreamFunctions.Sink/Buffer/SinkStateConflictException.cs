namespace StreamFunctions.Sink.Buffer;

/// <summary>Another writer changed the shard's state since it was read; read it again and redo the step.</summary>
/// <param name="key">The shard.</param>
public sealed class SinkStateConflictException(string key)
    : Exception($"The sink state of {key} changed since it was read (another invocation or the scheduled flush wrote it).");
