using StreamFunctions.KinesisApi.Exceptions;

namespace StreamFunctions.Aws.Kinesis.Exceptions;

/// <summary>
/// A successful Kinesis response could not be read: a field is missing or malformed. Points at
/// an endpoint that does not speak the Kinesis JSON 1.1 protocol, or one that differs from AWS.
/// </summary>
public sealed class KinesisProtocolException : KinesisException
{
    /// <summary>The error code this exception carries.</summary>
    public const string Code = "MalformedResponse";

    /// <summary>Creates the exception.</summary>
    /// <param name="operation">The Kinesis operation.</param>
    /// <param name="message">What is wrong with the response.</param>
    /// <param name="innerException">The parse error, if any.</param>
    public KinesisProtocolException(string operation, string message, Exception? innerException = null)
        : base(Code, message, innerException)
    {
        Operation = operation;
    }

    /// <summary>The Kinesis operation whose response was malformed.</summary>
    public string Operation { get; }
}
