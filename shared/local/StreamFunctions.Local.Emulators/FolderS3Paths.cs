using System.Globalization;
using System.Net;
using System.Text;
using StreamFunctions.Local.Emulators.Exceptions;

namespace StreamFunctions.Local.Emulators;

/// <summary>
/// Every path the folder S3 store touches, from what a request names: a bucket is <c>{root}/{bucket}</c>, an object
/// <c>{root}/{bucket}/{key}</c>, a multipart upload <c>{root}/.uploads/{id}</c> (the bucket and key it was begun for
/// in its <c>target</c> file, beside its parts <c>1</c> to <c>10000</c>), a temporary file
/// <c>{root}/.uploads/tmp/…</c>. Each goes through one check: the name is valid (S3's bucket rules, which no
/// <c>.uploads</c> passes; a key without empty, <c>.</c> or <c>..</c> segments, backslashes or NULs, at most 1,024
/// bytes and 255 bytes a segment), the combined path is made absolute, and it must lie under the root both as
/// written and as the file system resolves it (after symbolic links, each resolved in turn as the kernel does).
/// A refusal is an <see cref="S3RequestException"/> with S3's code.
/// </summary>
public sealed class FolderS3Paths
{
    /// <summary>The folder under the root where multipart parts and temporary files wait; never a bucket.</summary>
    public const string UploadsFolderName = ".uploads";

    /// <summary>The name of the file in an upload's folder that records its bucket and key (parts are named by their numbers).</summary>
    public const string UploadTargetFileName = "target";

    /// <summary>S3's longest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>The longest segment of a key (between slashes), in UTF-8 bytes: each is a file name, and Linux's NAME_MAX is 255.</summary>
    public const int MaxSegmentBytes = 255;

    // Linux's PATH_MAX (4,096 with the terminating NUL): a longer path cannot be opened at all.
    private const int MaxPathBytes = 4095;

    // Linux gives up after 40 links in one resolution (ELOOP); so does this.
    private const int MaxLinkHops = 40;

    private static readonly char Separator = Path.DirectorySeparatorChar;
    private readonly string _realRoot;

    /// <summary>Creates the paths over a root folder (which must exist).</summary>
    /// <param name="root">The store's folder.</param>
    public FolderS3Paths(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var hops = 0;
        _realRoot = Resolve(Root, ref hops);
        Uploads = Path.Combine(Root, UploadsFolderName);
        Temporary = Path.Combine(Uploads, "tmp");
    }

    /// <summary>The root folder, absolute.</summary>
    public string Root { get; }

    /// <summary>The folder of pending multipart uploads.</summary>
    public string Uploads { get; }

    /// <summary>The folder of the store's temporary files (bodies being received, objects being assembled).</summary>
    public string Temporary { get; }

    /// <summary>The bucket and key a path-style request target names, each percent-decoded after they are split (so <c>%2F</c> is a slash in the key, never a bucket boundary).</summary>
    /// <param name="rawTarget">The request target as sent (<c>/bucket/key?query</c>), not normalized.</param>
    /// <returns>The bucket (empty for the service) and the key (empty for the bucket itself).</returns>
    public static (string Bucket, string Key) ParseTarget(string rawTarget)
    {
        ArgumentNullException.ThrowIfNull(rawTarget);
        var question = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? rawTarget : rawTarget[..question];
        path = path.StartsWith('/') ? path[1..] : path;
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (Uri.UnescapeDataString(path), string.Empty) : (Uri.UnescapeDataString(path[..slash]), Uri.UnescapeDataString(path[(slash + 1)..]));
    }

    /// <summary>The bucket and key of an <c>x-amz-copy-source</c> header: <c>bucket/key</c> or <c>/bucket/key</c>, URL-encoded as a whole (SDKs encode its slashes too), optionally with <c>?versionId=</c>.</summary>
    /// <param name="header">The header's value.</param>
    /// <returns>The bucket and key, both validated.</returns>
    /// <exception cref="S3RequestException">Not a bucket and a key, or either is invalid.</exception>
    public static (string Bucket, string Key) ParseCopySource(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        var question = header.IndexOf('?', StringComparison.Ordinal);
        var decoded = Uri.UnescapeDataString(question < 0 ? header : header[..question]);
        decoded = decoded.StartsWith('/') ? decoded[1..] : decoded;
        var slash = decoded.IndexOf('/', StringComparison.Ordinal);
        var (bucket, key) = slash < 0 ? (decoded, string.Empty) : (decoded[..slash], decoded[(slash + 1)..]);
        if (bucket.Length == 0 || key.Length == 0)
        {
            throw new S3RequestException(400, "InvalidArgument", $"x-amz-copy-source '{header}' is not bucket/key.");
        }

        try
        {
            ValidateBucket(bucket);
        }
        catch (S3RequestException e)
        {
            throw new S3RequestException(400, "InvalidArgument", $"Invalid copy source bucket name: {e.Message}", e);
        }

        ValidateKey(key);
        return (bucket, key);
    }

    /// <summary>Checks a bucket name against S3's rules for general purpose buckets that matter here: 3 to 63 characters, lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit, no two dots in a row, not an IP address.</summary>
    /// <param name="bucket">The name.</param>
    /// <exception cref="S3RequestException"><c>InvalidBucketName</c>.</exception>
    public static void ValidateBucket(string bucket)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        var valid = bucket.Length is >= 3 and <= 63
            && bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            && char.IsAsciiLetterOrDigit(bucket[0]) && char.IsAsciiLetterOrDigit(bucket[^1])
            && !bucket.Contains("..", StringComparison.Ordinal)
            && !IPAddress.TryParse(bucket, out _);
        if (!valid)
        {
            throw new S3RequestException(400, "InvalidBucketName", $"The specified bucket is not valid: '{Shorten(bucket)}' (3 to 63 lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit).");
        }
    }

    /// <summary>Checks that a key can be kept as a file: S3's 1,024 bytes at most, each segment (a file name) 255 bytes at most, no empty, <c>.</c> or <c>..</c> segment, no backslash or NUL.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="S3RequestException"><c>KeyTooLongError</c> when too long; <c>InvalidArgument</c> otherwise.</exception>
    public static void ValidateKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes > MaxKeyBytes)
        {
            throw new S3RequestException(400, "KeyTooLongError", $"Your key is too long: {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes in UTF-8, S3's maximum is 1,024.");
        }

        if (key.Length == 0 || key.Contains('\\', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
        {
            throw new S3RequestException(400, "InvalidArgument", $"The key '{Shorten(key)}' cannot be kept as a file here (it is empty, or has a backslash or a NUL).");
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..")
            {
                throw new S3RequestException(400, "InvalidArgument", $"The key '{Shorten(key)}' cannot be kept as a file here: no empty, '.' or '..' segments.");
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                throw new S3RequestException(400, "KeyTooLongError", $"Your key is too long for this store: its segment '{Shorten(segment)}' is {Encoding.UTF8.GetByteCount(segment)} bytes, and each segment between slashes is a file name of at most 255 bytes (NAME_MAX).");
            }
        }
    }

    /// <summary>Whether a text is an upload id this store hands out: 32 lower-case hex digits.</summary>
    /// <param name="uploadId">The text.</param>
    /// <returns>Whether it is one.</returns>
    public static bool IsUploadId(string? uploadId) => uploadId is { Length: 32 } && uploadId.All(char.IsAsciiHexDigitLower);

    /// <summary>A bucket's folder.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <returns>The folder's absolute path, under the root.</returns>
    /// <exception cref="S3RequestException">An invalid name, or a path that resolves elsewhere.</exception>
    public string BucketFolder(string bucket)
    {
        ValidateBucket(bucket);
        return UnderRoot(Path.Combine(Root, bucket), bucket);
    }

    /// <summary>An object's file.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <returns>The file's absolute path, under the root.</returns>
    /// <exception cref="S3RequestException">An invalid name, or a path that resolves elsewhere.</exception>
    public string ObjectFile(string bucket, string key)
    {
        ValidateBucket(bucket);
        ValidateKey(key);
        return UnderRoot(Path.Combine(Root, bucket, key.Replace('/', Separator)), $"{bucket}/{key}");
    }

    /// <summary>A multipart upload's folder.</summary>
    /// <param name="uploadId">The upload id.</param>
    /// <returns>The folder's absolute path, under the root.</returns>
    /// <exception cref="S3RequestException"><c>NoSuchUpload</c> for an id this store never hands out (empty, for one).</exception>
    public string UploadFolder(string? uploadId)
    {
        if (!IsUploadId(uploadId))
        {
            throw new S3RequestException(404, "NoSuchUpload", $"The specified upload does not exist: '{Shorten(uploadId ?? string.Empty)}' is not an upload id of this store.");
        }

        return UnderRoot(Path.Combine(Uploads, uploadId!), uploadId!);
    }

    /// <summary>The file in an upload's folder that records the bucket and key the upload was begun for (<c>bucket/key</c>).</summary>
    /// <param name="uploadId">The upload id.</param>
    /// <returns>The file's absolute path, under the root.</returns>
    /// <exception cref="S3RequestException"><c>NoSuchUpload</c> for an id this store never hands out.</exception>
    public string UploadTargetFile(string? uploadId)
    {
        var folder = UploadFolder(uploadId);
        return UnderRoot(Path.Combine(folder, UploadTargetFileName), $"{uploadId}'s target");
    }

    /// <summary>A part's file in an upload.</summary>
    /// <param name="uploadId">The upload id.</param>
    /// <param name="partNumber">1 to 10,000.</param>
    /// <returns>The file's absolute path, under the root.</returns>
    public string PartFile(string? uploadId, int partNumber)
    {
        var folder = UploadFolder(uploadId);
        return UnderRoot(Path.Combine(folder, partNumber.ToString(CultureInfo.InvariantCulture)), $"{uploadId} part {partNumber}");
    }

    /// <summary>A new temporary file's path (not created), in <see cref="Temporary"/>.</summary>
    /// <returns>The path.</returns>
    public string NewTemporaryFile() => UnderRoot(Path.Combine(Temporary, "tmp-" + Guid.NewGuid().ToString("N")), "a temporary file");

    // The one check: absolute, under the root as written, not longer than a path can be, and under the root as the file
    // system resolves it (a symbolic link anywhere on the way is followed as the kernel would, and must stay inside).
    private string UnderRoot(string candidate, string named)
    {
        var full = Path.GetFullPath(candidate);
        if (!full.StartsWith(Root + Separator, StringComparison.Ordinal))
        {
            throw new S3RequestException(400, "InvalidArgument", $"'{Shorten(named)}' resolves outside the store's folder.");
        }

        if (Encoding.UTF8.GetByteCount(full) > MaxPathBytes)
        {
            throw new S3RequestException(400, "KeyTooLongError", $"Your key is too long for this store: '{Shorten(named)}' makes a path over {MaxPathBytes} bytes (PATH_MAX).");
        }

        var hops = 0;
        string resolved;
        try
        {
            resolved = Resolve(full, ref hops);
        }
        catch (IOException e)
        {
            throw new S3RequestException(403, "AccessDenied", $"'{Shorten(named)}' cannot be resolved: {e.Message}", e);
        }

        if (!resolved.StartsWith(_realRoot + Separator, StringComparison.Ordinal))
        {
            throw new S3RequestException(403, "AccessDenied", $"'{Shorten(named)}' goes through a symbolic link to outside the store's folder.");
        }

        return full;
    }

    // The path as the file system resolves it (realpath): each existing component that is a symbolic link is replaced
    // by its target, itself resolved (relative targets from the link's resolved folder, '..' after resolving), so a
    // chain of links cannot make the check and the kernel disagree. Components that do not exist are kept as named.
    private static string Resolve(string path, ref int hops)
    {
        var resolved = Path.GetPathRoot(path) ?? Separator.ToString();
        foreach (var part in path[resolved.Length..].Split(Separator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? resolved;
                continue;
            }

            var next = Path.Join(resolved, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                resolved = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new IOException($"more than {MaxLinkHops} symbolic links on the way (a loop?)");
            }

            resolved = Resolve(Path.IsPathRooted(target) ? target : Path.Join(resolved, target), ref hops);
        }

        return resolved;
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
