namespace StreamFunctions.Local.Emulators.Exceptions;

/// <summary>
/// A request the folder S3 store refuses, as S3 refuses it: the HTTP status, S3's error code
/// (<c>InvalidArgument</c>, <c>KeyTooLongError</c>, <c>InvalidRange</c>, …) and a message naming what was wrong.
/// The server answers it as S3's error XML.
/// </summary>
public sealed class S3RequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The HTTP status S3 answers with, e.g. 400.</param>
    /// <param name="errorCode">S3's error code, e.g. <c>InvalidArgument</c>.</param>
    /// <param name="message">What was wrong with the request.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    public S3RequestException(int statusCode, string errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(errorCode);
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status.</summary>
    public int StatusCode { get; }

    /// <summary>S3's error code.</summary>
    public string ErrorCode { get; }
}
