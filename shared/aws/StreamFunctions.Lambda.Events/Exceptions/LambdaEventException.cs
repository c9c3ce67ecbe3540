namespace StreamFunctions.Lambda.Events.Exceptions;

/// <summary>The base of every error raised by StreamFunctions.Lambda.Events.</summary>
public abstract class LambdaEventException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected LambdaEventException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>A Kinesis event is malformed: not JSON, a record without data, or data that is not base64.</summary>
public sealed class KinesisEventFormatException : LambdaEventException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="recordIndex">The record's index in <c>Records</c>, or -1 outside a record.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The parse error, if any.</param>
    public KinesisEventFormatException(int recordIndex, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        RecordIndex = recordIndex;
    }

    /// <summary>The record's index in <c>Records</c>, or -1 outside a record.</summary>
    public int RecordIndex { get; }
}

/// <summary>An event does not have its source's shape: not JSON, a field of the wrong type, or data that is not base64.</summary>
public sealed class LambdaEventFormatException : LambdaEventException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="eventName">The event's kind, e.g. <c>Kafka</c>.</param>
    /// <param name="path">Where in the event, as a JSON path (e.g. <c>$.records.mytopic-0[0].key</c>), if known.</param>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="innerException">The parse error.</param>
    public LambdaEventFormatException(string eventName, string? path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        EventName = eventName;
        Path = path;
    }

    /// <summary>The event's kind, e.g. <c>Kafka</c>.</summary>
    public string EventName { get; }

    /// <summary>Where in the event, as a JSON path, if known.</summary>
    public string? Path { get; }
}
