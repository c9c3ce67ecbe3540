namespace StreamFunctions.Local.Leases.Exceptions;

/// <summary>The base of every error raised by StreamFunctions.Local.Leases.</summary>
public abstract class LeaseException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="leaseKey">The lease involved.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected LeaseException(string leaseKey, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        LeaseKey = leaseKey;
    }

    /// <summary>The lease involved.</summary>
    public string LeaseKey { get; }
}

/// <summary>
/// This worker no longer holds the lease (another worker took or stole it, or it expired), so it must
/// stop processing the shard and may not checkpoint it. Nothing was written.
/// </summary>
public sealed class LeaseLostException(string leaseKey, string message, Exception? innerException = null)
    : LeaseException(leaseKey, message, innerException);

/// <summary>A checkpoint would move the lease backwards, or is not a sequence number. Nothing was written.</summary>
public sealed class InvalidCheckpointException(string leaseKey, string message)
    : LeaseException(leaseKey, message);

/// <summary>A lease row in the table does not have KCL's schema (a missing or mistyped attribute).</summary>
public sealed class MalformedLeaseException(string leaseKey, string message)
    : LeaseException(leaseKey, message);
