using System.Text;

namespace StreamFunctions.Cli.Run;

/// <summary>
/// A folder <c>sfn run</c> writes into and may later clear or remove, which it only ever does to a folder it made: such a
/// folder carries a marker file (<see cref="MarkerName"/>) that says so and lists what in it is the tool's. The marker is
/// held open exclusively while the run lasts (<see cref="FileShare.None"/>, an advisory <c>flock</c> on Unix that the OS
/// drops when the process dies), so it is also the folder's lock: a second run on the same folder is refused before
/// anything is touched.
/// </summary>
/// <remarks>
/// <para>An output folder (<see cref="ClaimOutput"/>): a missing or empty folder is taken and marked; a marked one is taken
/// and, on <see cref="ReplaceOutputs"/>, only the entries its marker lists are removed (what a user put beside them stays);
/// anything else (a file, a folder holding something, a marker that is not ours) is refused, and so is an output that
/// exists in the folder without its marker listing it (<see cref="CheckOutputs"/>): a user's own folder named as the
/// bucket is never written into, nor removed by the next run. A folder or marker this instance made is removed again
/// by <see cref="Dispose"/> when no output was ever listed in it (a run refused before it started leaves nothing).</para>
/// <para>A temporary folder (<see cref="CreateTemporary"/>): made empty under the temporary path, given whole to the run,
/// and removed with everything in it by <see cref="Dispose"/>, but only while its marker is still the one this instance
/// wrote.</para>
/// </remarks>
internal sealed class OwnedFolder : IDisposable
{
    /// <summary>The marker file's name inside the folder.</summary>
    public const string MarkerName = ".sfn-run";

    private const string OutputSignature = "sfn run output folder: the next `sfn run` here removes the entries listed below, and nothing else.";
    private const string TemporarySignature = "sfn run temporary folder: removed with everything in it when the run ends.";

    private readonly FileStream _marker;
    private readonly bool _temporary;

    // What ClaimOutput made (the marker; the folders that did not exist, deepest first), removed by Dispose while no
    // output has been listed; empty once one has.
    private IReadOnlyList<string> _made;
    private bool _disposed;

    private OwnedFolder(string path, FileStream marker, bool temporary, IReadOnlyList<string> outputs, IReadOnlyList<string>? made = null)
    {
        Path = path;
        _marker = marker;
        _temporary = temporary;
        Outputs = outputs;
        _made = made ?? [];
    }

    /// <summary>The folder (absolute).</summary>
    public string Path { get; }

    /// <summary>The entries the marker lists: an output folder's outputs; a temporary folder's own id.</summary>
    public IReadOnlyList<string> Outputs { get; private set; }

    /// <summary>Takes an output folder for this run: creates and marks it when missing or empty, locks it when marked.</summary>
    /// <param name="path">The folder.</param>
    /// <returns>The folder, locked until disposed.</returns>
    /// <exception cref="RunRefusedException">A file; a folder holding something and no marker; a marker that is not ours; another run holds it.</exception>
    public static OwnedFolder ClaimOutput(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (File.Exists(path))
        {
            throw new RunRefusedException($"--out {path} is a file, not a folder; give a new or empty folder.");
        }

        var marker = System.IO.Path.Combine(path, MarkerName);
        if (!File.Exists(marker))
        {
            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            {
                throw new RunRefusedException($"--out {path} holds files sfn run did not create (it has no {MarkerName} marker); sfn run replaces only a folder it made: give a new or empty folder.");
            }

            var missing = MissingFolders(path);
            Directory.CreateDirectory(path);
            FileStream created;
            try
            {
                created = Open(marker, FileMode.CreateNew, path);
            }
            catch
            {
                RemoveEmptyFolders(missing);
                throw;
            }

            Write(created, OutputSignature, []);
            return new OwnedFolder(path, created, temporary: false, [], [marker, .. missing]);
        }

        var stream = Open(marker, FileMode.Open, path);
        try
        {
            var (signature, entries) = Read(stream);
            if (signature != OutputSignature)
            {
                throw new RunRefusedException($"--out {path}: its {MarkerName} is not an sfn run output marker; give a new or empty folder.");
            }

            return new OwnedFolder(path, stream, temporary: false, entries);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Makes a new, empty, marked folder under the temporary path, removed by <see cref="Dispose"/>.</summary>
    /// <param name="prefix">The start of its name (a unique suffix follows).</param>
    /// <returns>The folder.</returns>
    public static OwnedFolder CreateTemporary(string prefix)
    {
        var id = Guid.NewGuid().ToString("N");
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + id);
        if (Directory.Exists(path) || File.Exists(path))
        {
            throw new RunRefusedException($"the new temporary folder {path} exists already; nothing was touched.");
        }

        Directory.CreateDirectory(path);
        var marker = Open(System.IO.Path.Combine(path, MarkerName), FileMode.CreateNew, path);
        Write(marker, TemporarySignature, [id]);
        return new OwnedFolder(path, marker, temporary: true, [id]);
    }

    /// <summary>
    /// Refuses outputs this run cannot take as its own: a name that is not a plain entry of the folder, or an entry that
    /// exists without the marker listing it (the user's, or anyone's but sfn run's). Nothing is touched.
    /// </summary>
    /// <param name="outputs">Entry names directly in the folder.</param>
    /// <exception cref="RunRefusedException">One of them is refused; the message names it.</exception>
    public void CheckOutputs(IReadOnlyList<string> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(outputs);
        if (_temporary)
        {
            throw new InvalidOperationException($"{Path} is a temporary folder: it is removed whole, its entries are not replaced.");
        }

        if (outputs.FirstOrDefault(o => !IsEntryName(o)) is { } bad)
        {
            throw new RunRefusedException($"'{bad}' is not a name sfn run can keep as a folder directly in {Path}.");
        }

        if (outputs.FirstOrDefault(o => !Outputs.Contains(o, StringComparer.Ordinal) && EntryExists(System.IO.Path.Combine(Path, o))) is { } foreign)
        {
            throw new RunRefusedException($"--out {Path} already holds {foreign}, which sfn run did not create (its {MarkerName} does not list it); sfn run writes into and later removes only its own entries: move it, or give another --out or bucket.");
        }
    }

    /// <summary>
    /// Checks <paramref name="outputs"/> (<see cref="CheckOutputs"/>), removes the entries the marker lists (a symbolic
    /// link is removed, never followed), then lists <paramref name="outputs"/> as what this run writes, before it writes
    /// them: a run that dies half-way leaves a marker that names its output.
    /// </summary>
    /// <param name="outputs">Entry names directly in the folder (no separators, not <c>.</c> or <c>..</c>).</param>
    /// <exception cref="RunRefusedException">An output is refused (<see cref="CheckOutputs"/>); nothing was touched.</exception>
    public void ReplaceOutputs(IReadOnlyList<string> outputs)
    {
        CheckOutputs(outputs);
        foreach (var entry in Outputs)
        {
            RemoveEntry(System.IO.Path.Combine(Path, entry));
        }

        _made = [];
        Write(_marker, OutputSignature, outputs);
        Outputs = outputs;
    }

    /// <summary>
    /// Unlocks the folder; a temporary one is removed, if its marker is still this instance's. An output folder in which
    /// no output was ever listed loses what <see cref="ClaimOutput"/> made: the marker (while still held), and the folders
    /// it created, each only while it is empty.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_made.Count > 0)
        {
            RemoveHeldMarker(_made[0]);
            _marker.Dispose();
            RemoveEmptyFolders(_made.Skip(1));
            return;
        }

        _marker.Dispose();
        if (_temporary && IsStillOurs())
        {
            Directory.Delete(Path, recursive: true);
        }
    }

    // The folder and those of its parents that do not exist yet, deepest first: what Directory.CreateDirectory makes.
    private static List<string> MissingFolders(string path)
    {
        var missing = new List<string>();
        for (var folder = path; folder is not null && !Directory.Exists(folder); folder = System.IO.Path.GetDirectoryName(folder))
        {
            missing.Add(folder);
        }

        return missing;
    }

    // Each folder while it is empty, deepest first; the first that is not (or is gone, or cannot go) stops it.
    private static void RemoveEmptyFolders(IEnumerable<string> folders)
    {
        foreach (var folder in folders)
        {
            try
            {
                if (new DirectoryInfo(folder) is not { Exists: true, LinkTarget: null } || Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    return;
                }

                Directory.Delete(folder, recursive: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    // The marker this instance created and still holds open (locked): unlinked before it is let go, so no other run
    // takes it in between. A marker that is no longer a plain file at its place stays.
    private static void RemoveHeldMarker(string marker)
    {
        try
        {
            if (new FileInfo(marker) is { Exists: true, LinkTarget: null })
            {
                File.Delete(marker);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Where an open file cannot be removed (Windows), the empty marker stays and the next run reuses it.
        }
    }

    private static bool EntryExists(string path) =>
        new FileInfo(path) is { Exists: true } or { LinkTarget: not null } || Directory.Exists(path);

    // The marker at its place is a file (not a link) that says it is this instance's temporary folder.
    private bool IsStillOurs()
    {
        var marker = System.IO.Path.Combine(Path, MarkerName);
        if (!File.Exists(marker) || new FileInfo(marker).LinkTarget is not null)
        {
            return false;
        }

        using var stream = new FileStream(marker, FileMode.Open, FileAccess.Read, FileShare.Read);
        var (signature, entries) = Read(stream);
        return signature == TemporarySignature && entries.SequenceEqual(Outputs, StringComparer.Ordinal);
    }

    private static FileStream Open(string marker, FileMode mode, string folder)
    {
        try
        {
            return new FileStream(marker, mode, FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.None);
        }
        catch (IOException e)
        {
            throw new RunRefusedException($"{folder} is in use by another sfn run (its {MarkerName} is locked); wait for it, or give this run its own folder.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RunRefusedException($"{folder}: {e.Message}", e);
        }
    }

    private static void Write(FileStream marker, string signature, IReadOnlyList<string> entries)
    {
        var text = new StringBuilder(signature).Append('\n');
        foreach (var entry in entries)
        {
            text.Append(entry).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        marker.Position = 0;
        marker.SetLength(0);
        marker.Write(bytes);
        marker.Flush(flushToDisk: true);
    }

    private static (string Signature, IReadOnlyList<string> Entries) Read(FileStream marker)
    {
        marker.Position = 0;
        using var reader = new StreamReader(marker, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // Entries that are not plain names in the folder (an edited marker naming ../x) are never removed.
        return lines.Length == 0 ? (string.Empty, []) : (lines[0], [.. lines.Skip(1).Where(IsEntryName)]);
    }

    private static bool IsEntryName(string name) =>
        name.Length > 0 && name is not ("." or ".." or MarkerName)
        && name.IndexOfAny([System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar, '\0']) < 0;

    private static void RemoveEntry(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists)
        {
            info.Delete();
        }
        else if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
