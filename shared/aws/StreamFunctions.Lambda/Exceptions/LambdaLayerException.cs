namespace StreamFunctions.Lambda.Exceptions;

/// <summary>The base of every error raised by StreamFunctions.Lambda.</summary>
public abstract class LambdaLayerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected LambdaLayerException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The Lambda Runtime API answered unexpectedly (or is not configured): the function cannot run.</summary>
public sealed class RuntimeApiException(string message, Exception? innerException = null)
    : LambdaLayerException(message, innerException);

/// <summary>One of Lambda's own settings (<c>AWS_LAMBDA_LOG_LEVEL</c>, <c>AWS_LAMBDA_LOG_FORMAT</c>) has a value Lambda does not take.</summary>
public sealed class LambdaSettingException(string message)
    : LambdaLayerException(message);
