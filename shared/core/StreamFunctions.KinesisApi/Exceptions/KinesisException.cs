using StreamFunctions.KinesisApi.Model;

namespace StreamFunctions.KinesisApi.Exceptions;

/// <summary>
/// The base of every error a Kinesis call raises, from Kinesis itself or from the embedded
/// stream log. <see cref="ErrorCode"/> is Kinesis's wire code, so callers can match either source.
/// </summary>
public abstract class KinesisException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">Kinesis's error code (<see cref="KinesisErrorCodes"/>).</param>
    /// <param name="message">What went wrong, naming the stream, shard or sequence number.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    protected KinesisException(string errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>Kinesis's error code, e.g. <c>ResourceNotFoundException</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>The HTTP status code of the response, when the error came over HTTP.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The request id of the failed call, when the service gave one.</summary>
    public string? RequestId { get; init; }

    /// <summary>Whether Kinesis documents the error as transient, so the same call may be retried with backoff.</summary>
    public virtual bool IsRetryable => false;
}

/// <summary>ResourceNotFoundException: the stream, shard or consumer does not exist.</summary>
public sealed class KinesisResourceNotFoundException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.ResourceNotFound, message, innerException);

/// <summary>ResourceInUseException: the stream is not ACTIVE for this call (creating, deleting, resharding).</summary>
public sealed class KinesisResourceInUseException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.ResourceInUse, message, innerException);

/// <summary>InvalidArgumentException: a parameter is malformed or out of range; the message names it.</summary>
public sealed class KinesisInvalidArgumentException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.InvalidArgument, message, innerException);

/// <summary>LimitExceededException: too many requests or resources; retryable with backoff.</summary>
public sealed class KinesisLimitExceededException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.LimitExceeded, message, innerException)
{
    /// <inheritdoc />
    public override bool IsRetryable => true;
}

/// <summary>ProvisionedThroughputExceededException: a shard's throughput was exceeded; retryable with backoff.</summary>
public sealed class KinesisThroughputExceededException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.ProvisionedThroughputExceeded, message, innerException)
{
    /// <inheritdoc />
    public override bool IsRetryable => true;
}

/// <summary>ExpiredIteratorException: the shard iterator is more than 5 minutes old; get a new one.</summary>
public sealed class KinesisExpiredIteratorException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.ExpiredIterator, message, innerException);

/// <summary>ExpiredNextTokenException: the ListShards token is more than 5 minutes old; list again.</summary>
public sealed class KinesisExpiredNextTokenException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.ExpiredNextToken, message, innerException);

/// <summary>AccessDeniedException: the credentials may not make this call.</summary>
public sealed class KinesisAccessDeniedException(string message, Exception? innerException = null)
    : KinesisException(KinesisErrorCodes.AccessDenied, message, innerException);

/// <summary>
/// A KMS error on an encrypted stream (<c>KMSDisabledException</c>, <c>KMSNotFoundException</c>,
/// <c>KMSAccessDeniedException</c>, <c>KMSInvalidStateException</c>, <c>KMSOptInRequired</c>,
/// <c>KMSThrottlingException</c>); <see cref="KinesisException.ErrorCode"/> says which.
/// Only throttling is retryable.
/// </summary>
public sealed class KinesisKmsException(string errorCode, string message, Exception? innerException = null)
    : KinesisException(errorCode, message, innerException)
{
    /// <inheritdoc />
    public override bool IsRetryable => ErrorCode == "KMSThrottlingException";
}

/// <summary>
/// Any other service error (an unknown code, InternalFailure, ServiceUnavailable, a 5xx):
/// retryable when the service said so or the status was 5xx.
/// </summary>
public sealed class KinesisServiceException(string errorCode, string message, bool isRetryable, Exception? innerException = null)
    : KinesisException(errorCode, message, innerException)
{
    /// <inheritdoc />
    public override bool IsRetryable { get; } = isRetryable;
}
