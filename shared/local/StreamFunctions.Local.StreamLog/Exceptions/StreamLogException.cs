namespace StreamFunctions.Local.StreamLog.Exceptions;

/// <summary>The base of every error the stream log raises about its files (EmbeddedKinesis raises Kinesis-level errors as <see cref="KinesisApi.Exceptions.KinesisException"/>s).</summary>
public abstract class StreamLogException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the folder, file and address.</param>
    /// <param name="innerException">The error that caused this one, if any.</param>
    protected StreamLogException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>A log file holds bytes that are not what the log wrote: a bad checksum, header or segment chain outside the torn tail that recovery repairs.</summary>
public sealed class StreamLogCorruptedException : StreamLogException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The file.</param>
    /// <param name="address">The logical address of the bad record or header.</param>
    /// <param name="reason">What is wrong.</param>
    public StreamLogCorruptedException(string path, long address, string reason)
        : base($"Stream log file {path} is corrupted at address {address}: {reason}")
    {
        Path = path;
        Address = address;
    }

    /// <summary>The corrupted file.</summary>
    public string Path { get; }

    /// <summary>The logical address where the corruption starts.</summary>
    public long Address { get; }
}

/// <summary>Another process (or another open instance in this one) holds the log folder's lock file.</summary>
public sealed class StreamLogLockedException : StreamLogException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">The log folder.</param>
    /// <param name="innerException">The I/O error of the lock attempt.</param>
    public StreamLogLockedException(string directory, Exception? innerException = null)
        : base($"The stream log folder {directory} is in use by another process or instance (its lock file {System.IO.Path.Combine(directory, DirectoryLock.FileName)} is held). Stop that process, or give this one its own folder.", innerException)
    {
        Directory = directory;
    }

    /// <summary>The log folder.</summary>
    public string Directory { get; }
}
