namespace StreamFunctions.Aws.Exceptions;

/// <summary>The base of every error raised by StreamFunctions.Aws.</summary>
public abstract class StreamFunctionsAwsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the setting, resource or record involved.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    protected StreamFunctionsAwsException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
