using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Formats.Exceptions;

/// <summary>
/// An object writer cannot take a record (not JSON, a line break inside a JSON-lines record, a value
/// that does not fit the Parquet schema) or the object outgrows S3's multipart limits. The message names
/// the record index and the field.
/// </summary>
public sealed class ObjectWriterException : StorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the record and field.</param>
    /// <param name="recordIndex">The index of the record in the object, when one is at fault.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ObjectWriterException(string message, long? recordIndex = null, Exception? innerException = null)
        : base(message, innerException)
    {
        RecordIndex = recordIndex;
    }

    /// <summary>The index of the record in the object, when one is at fault.</summary>
    public long? RecordIndex { get; }
}
