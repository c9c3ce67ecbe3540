using System.Text.Json;

namespace StreamFunctions.BatchProcessing;

/// <summary>What a record's failure means for the batch.</summary>
public enum FailureKind
{
    /// <summary>Transient (throttling, timeouts, 5xx): the record is retried, and Lambda redelivers it if retries run out here.</summary>
    Retryable,

    /// <summary>The record itself is bad (cannot be parsed, fails validation): retrying cannot help; it is archived and counted as processed.</summary>
    Poison,
}

/// <summary>Decides whether a handler's exception is retryable or makes the record poison.</summary>
public interface IErrorClassifier
{
    /// <summary>Classifies an exception thrown for a record.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>Retryable or poison.</returns>
    FailureKind Classify(Exception exception);
}

/// <summary>
/// The default classification: deserialization and validation errors (<see cref="JsonException"/>,
/// <see cref="FormatException"/>, <see cref="ArgumentException"/>, <see cref="InvalidDataException"/>,
/// <see cref="PoisonRecordException"/>) are poison; everything else (timeouts, throttling, HTTP 5xx,
/// I/O) is retryable, so an unknown error never discards a record by mistake.
/// </summary>
public sealed class DefaultErrorClassifier : IErrorClassifier
{
    /// <summary>The shared instance.</summary>
    public static DefaultErrorClassifier Instance { get; } = new();

    /// <inheritdoc />
    public FailureKind Classify(Exception exception) => exception switch
    {
        PoisonRecordException or JsonException or FormatException or InvalidDataException or ArgumentException => FailureKind.Poison,
        HttpRequestException { StatusCode: { } status } when (int)status is >= 400 and < 500 and not 408 and not 429 => FailureKind.Poison,
        _ => FailureKind.Retryable,
    };
}

/// <summary>Thrown by a handler to say that a record can never be processed (e.g. it fails validation).</summary>
/// <param name="message">Why.</param>
/// <param name="innerException">The cause, if any.</param>
public sealed class PoisonRecordException(string message, Exception? innerException = null) : Exception(message, innerException);
