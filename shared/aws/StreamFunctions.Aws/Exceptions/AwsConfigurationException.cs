namespace StreamFunctions.Aws.Exceptions;

/// <summary>
/// A setting is unusable: a function's environment variable (read by <see cref="SettingsReader"/>), the AWS
/// configuration (endpoints, region, credentials, shared config files) or a pipeline file's field. The message is one
/// line naming the setting, its value and what is accepted; a function reports it at init as a configuration error,
/// without a stack trace.
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
