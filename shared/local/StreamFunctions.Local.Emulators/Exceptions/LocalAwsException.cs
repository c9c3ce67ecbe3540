namespace StreamFunctions.Local.Emulators.Exceptions;

/// <summary>
/// The local emulators could not be started or stopped: the message carries what
/// <c>scripts/local-aws.sh</c> said (which emulator, its last log lines).
/// </summary>
public sealed class LocalAwsException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    public LocalAwsException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
