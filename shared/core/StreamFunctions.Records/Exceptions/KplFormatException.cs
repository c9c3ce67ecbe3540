namespace StreamFunctions.Records.Exceptions;

/// <summary>What is wrong with a KPL aggregated record.</summary>
public enum KplFormatError
{
    /// <summary>The record starts with the KPL magic number but is too short to hold the protobuf message and its MD5.</summary>
    Truncated,

    /// <summary>The trailing MD5 is not the MD5 of the protobuf bytes (corrupted in transit or at rest).</summary>
    ChecksumMismatch,

    /// <summary>The protobuf bytes are not a well-formed <c>AggregatedRecord</c> (bad varint, length past the end, wrong wire type, a required field missing).</summary>
    MalformedProtobuf,

    /// <summary>A user record refers to a partition key or explicit hash key table entry that does not exist.</summary>
    IndexOutOfRange,
}

/// <summary>
/// A Kinesis record that claims to be KPL-aggregated (it starts with <c>F3 89 9A C2</c>) cannot be
/// de-aggregated. No user record of it is returned: the caller sees the failure, never a partial record.
/// </summary>
public sealed class KplFormatException : StorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="message">The details, naming the user record and byte offset when known.</param>
    /// <param name="subSequenceNumber">The index of the user record at fault, when one is.</param>
    public KplFormatException(KplFormatError error, string message, long? subSequenceNumber = null)
        : base(message)
    {
        Error = error;
        SubSequenceNumber = subSequenceNumber;
    }

    /// <summary>Creates the exception for one Kinesis record of a batch, wrapping the record-level error.</summary>
    /// <param name="inner">The error found in the record.</param>
    /// <param name="recordIndex">The index of the Kinesis record in the batch.</param>
    /// <param name="sequenceNumber">Its sequence number, when known.</param>
    public KplFormatException(KplFormatException inner, int recordIndex, string? sequenceNumber)
        : base($"Kinesis record {recordIndex}{(sequenceNumber is null ? string.Empty : $" (sequence number {sequenceNumber})")}: {inner?.Message}", inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Error = inner.Error;
        SubSequenceNumber = inner.SubSequenceNumber;
        RecordIndex = recordIndex;
        SequenceNumber = sequenceNumber;
    }

    /// <summary>What is wrong.</summary>
    public KplFormatError Error { get; }

    /// <summary>The index of the user record at fault inside the aggregate, when one is.</summary>
    public long? SubSequenceNumber { get; }

    /// <summary>The index of the Kinesis record in the batch being de-aggregated, when it came from a batch.</summary>
    public int? RecordIndex { get; }

    /// <summary>The sequence number of the Kinesis record, when known.</summary>
    public string? SequenceNumber { get; }
}
