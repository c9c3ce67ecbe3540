namespace StreamFunctions.Sink;

/// <summary>A batch could not be made durable (the delivery, e.g. S3, or the state store, e.g. DynamoDB, failed); nothing of it was acknowledged.</summary>
/// <param name="message">Which shard and why.</param>
/// <param name="inner">The cause.</param>
public sealed class SinkBatchFailedException(string message, Exception inner) : Exception(message, inner);
