using StreamFunctions.Records.Exceptions;

namespace StreamFunctions.Formats.Exceptions;

/// <summary>
/// Compressed input cannot be decompressed: it is truncated, corrupt or not in the codec's format.
/// The message names the codec and, when known, the byte offset.
/// </summary>
public sealed class CompressedDataException : StorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="innerException">The codec's own error, if any.</param>
    public CompressedDataException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
