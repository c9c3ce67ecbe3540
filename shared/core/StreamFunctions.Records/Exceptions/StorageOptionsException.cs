namespace StreamFunctions.Records.Exceptions;

/// <summary>An option is out of its allowed range; the message names the option, its value and the range.</summary>
public sealed class StorageOptionsException : StorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="optionName">The option, e.g. <c>CompressionOptions.Level</c>.</param>
    /// <param name="message">The value given and what is allowed.</param>
    public StorageOptionsException(string optionName, string message)
        : base($"{optionName}: {message}")
    {
        OptionName = optionName;
    }

    /// <summary>The option at fault.</summary>
    public string OptionName { get; }
}
