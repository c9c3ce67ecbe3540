namespace StreamFunctions.Aws.Exceptions;

/// <summary>
/// The AWS configuration (environment variables, shared config or credentials files) is unusable:
/// the message names the variable or file and what is wrong with it.
/// </summary>
public sealed class AwsConfigurationException : StreamFunctionsAwsException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    public AwsConfigurationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
