namespace StreamFunctions.Local.StreamLog.Log;

/// <summary>
/// When a commit forces data to stable storage. Every policy writes committed records to the OS
/// before <see cref="AppendLog.Commit"/> returns, so a killed process never loses an acknowledged
/// record; the policies differ only in what a power loss or kernel crash may take.
/// </summary>
public enum FsyncPolicy
{
    /// <summary>fsync before each commit returns (concurrent commits share one fsync): nothing acknowledged is lost, at the cost of a device flush per commit.</summary>
    EveryCommit,

    /// <summary>fsync in the background every <see cref="AppendLogOptions.FsyncInterval"/>: a power loss may take up to that much acknowledged data.</summary>
    Interval,

    /// <summary>Never fsync except when a segment is closed and when the log is disposed: the OS decides.</summary>
    None,
}
