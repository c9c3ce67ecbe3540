namespace StreamFunctions.Local.EventSourceMapping.Exceptions;

/// <summary>The base of every error the event-source-mapping runner raises.</summary>
public abstract class EventSourceMappingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the option, shard or sequence number.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    protected EventSourceMappingException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>An option of <see cref="KinesisEventSourceOptions"/> is missing or out of its allowed range.</summary>
public sealed class EventSourceOptionsException : EventSourceMappingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="option">The option's name, as Lambda's API spells it.</param>
    /// <param name="message">The allowed range and the value given.</param>
    public EventSourceOptionsException(string option, string message)
        : base($"{option}: {message}")
    {
        Option = option;
    }

    /// <summary>The option at fault (e.g. <c>BatchSize</c>).</summary>
    public string Option { get; }
}

/// <summary>The on-failure destination could not store the record of a discarded batch.</summary>
public sealed class OnFailureDestinationException : EventSourceMappingException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The destination and the shard and sequence range of the batch.</param>
    /// <param name="innerException">The destination's own error.</param>
    public OnFailureDestinationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
