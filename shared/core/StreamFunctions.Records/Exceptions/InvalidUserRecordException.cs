namespace StreamFunctions.Records.Exceptions;

/// <summary>
/// A user record cannot be put to Kinesis as given: its partition key is empty or longer than 256
/// characters, its explicit hash key is not a decimal 128-bit integer, or it is larger than a Kinesis
/// record may be. The message names the record index and the limit.
/// </summary>
public sealed class InvalidUserRecordException : StorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the record and the limit.</param>
    /// <param name="recordIndex">The index of the record among those added, when known.</param>
    public InvalidUserRecordException(string message, long? recordIndex = null)
        : base(message)
    {
        RecordIndex = recordIndex;
    }

    /// <summary>The index of the record among those added, when known.</summary>
    public long? RecordIndex { get; }
}
