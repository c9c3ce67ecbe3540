using StreamFunctions.KinesisApi.Exceptions;

namespace StreamFunctions.Aws.Kinesis.Exceptions;

/// <summary>
/// A call that is not idempotent (a write such as PutRecord, PutRecords or CreateStream) failed
/// in a way that does not say whether Kinesis applied it: a server error, a timeout or a broken
/// connection after the request was sent. The client does not retry it, because a retry could
/// write the records twice; the caller decides (e.g. retry with the same records and accept
/// duplicates downstream, or check the stream).
/// </summary>
public sealed class KinesisRequestOutcomeUnknownException : KinesisException
{
    /// <summary>The error code this exception carries.</summary>
    public const string Code = "RequestOutcomeUnknown";

    /// <summary>Creates the exception.</summary>
    /// <param name="operation">The Kinesis operation, e.g. PutRecords.</param>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public KinesisRequestOutcomeUnknownException(string operation, string message, Exception? innerException = null)
        : base(Code, message, innerException)
    {
        Operation = operation;
    }

    /// <summary>The Kinesis operation whose outcome is unknown.</summary>
    public string Operation { get; }
}
