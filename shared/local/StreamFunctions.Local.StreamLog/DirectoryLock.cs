using StreamFunctions.Local.StreamLog.Exceptions;

namespace StreamFunctions.Local.StreamLog;

/// <summary>
/// An exclusive lock on a log folder: its <c>.lock</c> file opened with <see cref="FileShare.None"/>,
/// which .NET backs with an advisory <c>flock(LOCK_EX)</c> on Unix and a share-mode lock on
/// Windows. The OS drops it when the process dies, so a killed writer never leaves the folder locked.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    /// <summary>The lock file's name inside the folder.</summary>
    public const string FileName = ".lock";

    private readonly FileStream _file;

    private DirectoryLock(FileStream file) => _file = file;

    /// <summary>Takes the lock, creating the folder if needed.</summary>
    /// <exception cref="StreamLogLockedException">Another process or instance holds it.</exception>
    public static DirectoryLock Acquire(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            try
            {
                file.SetLength(0);
                var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                file.Write(pid);
                file.Flush();
                return new DirectoryLock(file);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        catch (IOException e)
        {
            throw new StreamLogLockedException(directory, e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
