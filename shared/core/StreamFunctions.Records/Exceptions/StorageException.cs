namespace StreamFunctions.Records.Exceptions;

/// <summary>
/// The base of every error raised by StreamFunctions.Storage: bad input (a corrupt aggregate, a record
/// too large, a malformed compressed stream, a JSON record that does not fit the schema) or an option
/// out of range. Messages name the record index, field or option involved.
/// </summary>
public abstract class StorageException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the record, field or option involved.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    protected StorageException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
