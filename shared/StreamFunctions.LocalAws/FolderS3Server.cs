using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using StreamFunctions.Lambda.Local;
using StreamFunctions.LocalAws.Exceptions;

namespace StreamFunctions.LocalAws;

/// <summary>
/// An S3 endpoint on loopback that keeps objects as files in a folder, laid out exactly as their keys:
/// <c>{root}/{bucket}/{key}</c>. It speaks the S3 REST protocol (path-style) the platform uses: buckets
/// (create, head), objects (put, conditional put with <c>If-None-Match: *</c> or <c>If-Match: etag</c>, get with one byte range, head, delete, copy), multipart
/// uploads (initiate, upload part, complete, abort) and ListObjectsV2, with S3's XML errors. Requests are not
/// authenticated (it listens on 127.0.0.1 only); SigV4 and aws-chunked bodies are accepted. Writes are atomic
/// (a temporary file renamed into place), so a reader never sees half an object. Multipart parts wait under
/// <c>{root}/.uploads/</c> until completed. Every path it touches comes from <see cref="FolderS3Paths"/>, which keeps
/// it under the root (after symbolic links).
/// </summary>
/// <remarks>The local pipeline's S3 (<c>sfn run</c>): AWS SDK clients point at <see cref="Endpoint"/>.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "S3 defines an object's ETag as the MD5 of its bytes (of its parts' MD5s for multipart); it is an identity, not security.")]
public sealed class FolderS3Server : LoopbackHttpServer
{
    private static readonly XNamespace S3 = "http://s3.amazonaws.com/doc/2006-03-01/";
    private readonly string _root;
    private readonly FolderS3Paths _paths;
    private readonly ConcurrentDictionary<string, string> _etags = new(StringComparer.Ordinal);
    private readonly Lock _writes = new();

    /// <summary>Creates the server over a folder (created if missing).</summary>
    /// <param name="root">The folder: one subfolder per bucket.</param>
    public FolderS3Server(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
        _paths = new FolderS3Paths(_root);
    }

    /// <summary>The endpoint, e.g. <c>http://127.0.0.1:49152</c>, once started.</summary>
    public Uri Endpoint { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The folder.</summary>
    public string Root => _root;

    /// <summary>Starts listening on a free loopback port.</summary>
    public void Start()
    {
        Endpoint = new Uri($"http://127.0.0.1:{Listen()}");
    }

    /// <inheritdoc/>
    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            // The raw path, not the normalized one: a key with '..' segments is refused, never resolved.
            var raw = request.RawUrl ?? "/";
            var (bucket, key) = FolderS3Paths.ParseTarget(raw);
            var query = request.QueryString;
            if (bucket.Length == 0)
            {
                await ErrorAsync(response, 400, "InvalidRequest", "Listing buckets is not supported; name a bucket.").ConfigureAwait(false);
                return;
            }

            var bucketFolder = _paths.BucketFolder(bucket);
            if (key.Length == 0)
            {
                await BucketAsync(request, response, bucket, bucketFolder).ConfigureAwait(false);
                return;
            }

            if (!Directory.Exists(bucketFolder))
            {
                await ErrorAsync(response, 404, "NoSuchBucket", $"The bucket {bucket} does not exist.", request.HttpMethod == "HEAD").ConfigureAwait(false);
                return;
            }

            var file = _paths.ObjectFile(bucket, key);
            switch (request.HttpMethod)
            {
                case "PUT" when query["uploadId"] is { } uploadId:
                    await UploadPartAsync(request, response, uploadId, query["partNumber"]).ConfigureAwait(false);
                    break;
                case "PUT" when request.Headers["x-amz-copy-source"] is { } source:
                    await CopyAsync(response, source, file).ConfigureAwait(false);
                    break;
                case "PUT":
                    await PutAsync(request, response, bucket, key, file).ConfigureAwait(false);
                    break;
                case "POST" when HasFlag(raw, "uploads"):
                    await InitiateAsync(response, bucket, key).ConfigureAwait(false);
                    break;
                case "POST" when query["uploadId"] is { } uploadId:
                    await CompleteAsync(request, response, bucket, key, file, uploadId).ConfigureAwait(false);
                    break;
                case "DELETE" when query["uploadId"] is { } uploadId:
                    DeleteFolder(_paths.UploadFolder(uploadId));
                    response.StatusCode = 204;
                    break;
                case "DELETE":
                    lock (_writes)
                    {
                        File.Delete(file);
                        _etags.TryRemove(file, out _);
                        PruneEmptyFolders(Path.GetDirectoryName(file)!, bucketFolder);
                    }

                    response.StatusCode = 204;
                    break;
                case "GET" or "HEAD":
                    await GetAsync(request, response, bucket, key, file).ConfigureAwait(false);
                    break;
                default:
                    await ErrorAsync(response, 405, "MethodNotAllowed", $"{request.HttpMethod} is not supported on an object.").ConfigureAwait(false);
                    break;
            }
        }
        catch (S3RequestException e)
        {
            await ErrorAsync(response, e.StatusCode, e.ErrorCode, e.Message, request.HttpMethod == "HEAD").ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or System.Xml.XmlException)
        {
            await ErrorAsync(response, 500, "InternalError", e.Message).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away.
            }
        }
    }

    private async Task BucketAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string folder)
    {
        switch (request.HttpMethod)
        {
            case "PUT":
                Directory.CreateDirectory(folder);
                response.StatusCode = 200;
                response.Headers["Location"] = "/" + bucket;
                break;
            case "HEAD":
                response.StatusCode = Directory.Exists(folder) ? 200 : 404;
                break;
            case "DELETE" when !Directory.Exists(folder):
                await ErrorAsync(response, 404, "NoSuchBucket", $"The bucket {bucket} does not exist.").ConfigureAwait(false);
                break;
            case "DELETE" when Directory.EnumerateFileSystemEntries(folder).Any():
                await ErrorAsync(response, 409, "BucketNotEmpty", $"The bucket {bucket} is not empty.").ConfigureAwait(false);
                break;
            case "DELETE":
                Directory.Delete(folder);
                response.StatusCode = 204;
                break;
            case "GET" when !Directory.Exists(folder):
                await ErrorAsync(response, 404, "NoSuchBucket", $"The bucket {bucket} does not exist.").ConfigureAwait(false);
                break;
            case "GET":
                await ListAsync(request, response, bucket, folder).ConfigureAwait(false);
                break;
            default:
                await ErrorAsync(response, 405, "MethodNotAllowed", $"{request.HttpMethod} is not supported on a bucket.").ConfigureAwait(false);
                break;
        }
    }

    // ListObjectsV2: keys in UTF-8 byte order (as S3), after start-after or the continuation token, up to max-keys.
    private async Task ListAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string folder)
    {
        var query = request.QueryString;
        var prefix = query["prefix"] ?? string.Empty;
        var after = query["continuation-token"] is { } token ? Encoding.UTF8.GetString(Convert.FromBase64String(token)) : query["start-after"] ?? string.Empty;
        var max = int.TryParse(query["max-keys"], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? Math.Clamp(m, 0, 1000) : 1000;
        // Symbolic links are not followed: a listing shows only what lies in the bucket's folder itself.
        var keys = Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(k, after) > 0)
            .Order(StringComparer.Ordinal)
            .Take(max + 1)
            .ToList();
        var truncated = keys.Count > max;
        var page = keys.Take(max).ToList();
        var result = new XElement(S3 + "ListBucketResult",
            new XElement(S3 + "Name", bucket),
            new XElement(S3 + "Prefix", prefix),
            new XElement(S3 + "KeyCount", page.Count),
            new XElement(S3 + "MaxKeys", max),
            new XElement(S3 + "IsTruncated", truncated ? "true" : "false"),
            truncated ? new XElement(S3 + "NextContinuationToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1]))) : null,
            page.Select(k =>
            {
                var info = new FileInfo(Path.Combine(folder, k.Replace('/', Path.DirectorySeparatorChar)));
                return new XElement(S3 + "Contents",
                    new XElement(S3 + "Key", k),
                    new XElement(S3 + "LastModified", info.LastWriteTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
                    new XElement(S3 + "ETag", ETagOf(info.FullName)),
                    new XElement(S3 + "Size", info.Length),
                    new XElement(S3 + "StorageClass", "STANDARD"));
            }));
        await XmlAsync(response, 200, result).ConfigureAwait(false);
    }

    private async Task PutAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string key, string file)
    {
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        var etag = Quote(MD5.HashData(body));
        var noneMatch = request.Headers["If-None-Match"];
        var match = request.Headers["If-Match"];
        if (noneMatch is not null && noneMatch != "*")
        {
            // S3's conditional writes take only If-None-Match: * (no object may exist).
            await ErrorAsync(response, 501, "NotImplemented", "A header you provided implies functionality that is not implemented: If-None-Match on PUT takes only '*'.").ConfigureAwait(false);
            return;
        }

        string? refused;
        lock (_writes)
        {
            // Checked and written under one lock: of two conditional writers, exactly one wins.
            refused = noneMatch is not null && File.Exists(file) ? $"{bucket}/{key} exists (If-None-Match: *)."
                : match is not null && !File.Exists(file) ? string.Empty
                : match is not null && !ETagMatches(match, ETagOf(file)) ? $"{bucket}/{key}'s ETag is {ETagOf(file)}, not {match} (If-Match)."
                : null;
            if (refused is null)
            {
                WriteAtomically(file, body);
                _etags[file] = etag;
            }
        }

        if (refused is { Length: 0 })
        {
            await ErrorAsync(response, 404, "NoSuchKey", $"The key {key} does not exist in {bucket} (If-Match needs an object).").ConfigureAwait(false);
            return;
        }

        if (refused is not null)
        {
            await ErrorAsync(response, 412, "PreconditionFailed", refused).ConfigureAwait(false);
            return;
        }

        response.Headers["ETag"] = etag;
        response.StatusCode = 200;
    }

    private async Task CopyAsync(HttpListenerResponse response, string source, string file)
    {
        var (fromBucket, fromKey) = FolderS3Paths.ParseCopySource(source);
        var from = _paths.ObjectFile(fromBucket, fromKey);
        if (!File.Exists(from))
        {
            await ErrorAsync(response, 404, "NoSuchKey", $"The copy source {fromBucket}/{fromKey} does not exist.").ConfigureAwait(false);
            return;
        }

        var body = await File.ReadAllBytesAsync(from).ConfigureAwait(false);
        var etag = ETagOf(from);
        lock (_writes)
        {
            WriteAtomically(file, body);
            _etags[file] = etag;
        }

        await XmlAsync(response, 200, new XElement(S3 + "CopyObjectResult",
            new XElement(S3 + "LastModified", File.GetLastWriteTimeUtc(file).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
            new XElement(S3 + "ETag", etag))).ConfigureAwait(false);
    }

    private async Task GetAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string key, string file)
    {
        var head = request.HttpMethod == "HEAD";
        if (!File.Exists(file))
        {
            await ErrorAsync(response, 404, "NoSuchKey", $"The key {key} does not exist in {bucket}.", head).ConfigureAwait(false);
            return;
        }

        var info = new FileInfo(file);
        response.Headers["ETag"] = ETagOf(file);
        response.Headers["Last-Modified"] = info.LastWriteTimeUtc.ToString("R", CultureInfo.InvariantCulture);
        response.Headers["Accept-Ranges"] = "bytes";
        response.ContentType = "application/octet-stream";
        response.StatusCode = 200;
        if (head)
        {
            response.ContentLength64 = info.Length;
            return;
        }

        var body = await File.ReadAllBytesAsync(file).ConfigureAwait(false);
        if (request.Headers["Range"] is { } range)
        {
            // One byte range, as S3 serves: bytes=first-last, bytes=first- or bytes=-suffix.
            var match = System.Text.RegularExpressions.Regex.Match(range, @"^bytes=(\d*)-(\d*)$");
            long first = 0, last = body.Length - 1;
            var ok = match.Success && (match.Groups[1].Length > 0 || match.Groups[2].Length > 0);
            if (ok && match.Groups[1].Length == 0)
            {
                first = Math.Max(0, body.Length - long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
            }
            else if (ok)
            {
                first = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                last = match.Groups[2].Length > 0 ? Math.Min(last, long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture)) : last;
            }

            if (!ok || first >= body.Length || first > last)
            {
                response.Headers["Content-Range"] = $"bytes */{body.Length}";
                await ErrorAsync(response, 416, "InvalidRange", $"The range '{range}' is not satisfiable for {body.Length} bytes.").ConfigureAwait(false);
                return;
            }

            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {first}-{last}/{body.Length}";
            response.ContentLength64 = last - first + 1;
            await response.OutputStream.WriteAsync(body.AsMemory((int)first, (int)(last - first + 1))).ConfigureAwait(false);
            return;
        }

        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    private async Task InitiateAsync(HttpListenerResponse response, string bucket, string key)
    {
        var uploadId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(_paths.UploadFolder(uploadId));
        await XmlAsync(response, 200, new XElement(S3 + "InitiateMultipartUploadResult",
            new XElement(S3 + "Bucket", bucket),
            new XElement(S3 + "Key", key),
            new XElement(S3 + "UploadId", uploadId))).ConfigureAwait(false);
    }

    private async Task UploadPartAsync(HttpListenerRequest request, HttpListenerResponse response, string uploadId, string? partNumber)
    {
        var folder = _paths.UploadFolder(uploadId);
        if (!Directory.Exists(folder))
        {
            await ErrorAsync(response, 404, "NoSuchUpload", $"The upload {uploadId} does not exist (completed or aborted).").ConfigureAwait(false);
            return;
        }

        if (!int.TryParse(partNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 10_000)
        {
            await ErrorAsync(response, 400, "InvalidArgument", $"partNumber '{partNumber}' is not 1–10,000.").ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        lock (_writes)
        {
            WriteAtomically(_paths.PartFile(uploadId, number), body);
        }

        response.Headers["ETag"] = Quote(MD5.HashData(body));
        response.StatusCode = 200;
    }

    // Complete: the listed parts, in order, each matching its ETag; every part but the last at least 5 MiB (as S3).
    private async Task CompleteAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string key, string file, string uploadId)
    {
        var folder = _paths.UploadFolder(uploadId);
        if (!Directory.Exists(folder))
        {
            await ErrorAsync(response, 404, "NoSuchUpload", $"The upload {uploadId} does not exist (completed or aborted).").ConfigureAwait(false);
            return;
        }

        var document = XDocument.Parse(Encoding.UTF8.GetString(await ReadBodyAsync(request).ConfigureAwait(false)));
        var parts = document.Descendants().Where(e => e.Name.LocalName == "Part").Select(p => (
            Number: int.Parse(p.Elements().First(e => e.Name.LocalName == "PartNumber").Value, CultureInfo.InvariantCulture),
            ETag: p.Elements().First(e => e.Name.LocalName == "ETag").Value.Trim())).ToList();
        using var whole = new MemoryStream();
        using var md5s = new MemoryStream();
        for (var i = 0; i < parts.Count; i++)
        {
            var partFile = _paths.PartFile(uploadId, parts[i].Number);
            if ((i > 0 && parts[i].Number <= parts[i - 1].Number) || !File.Exists(partFile))
            {
                await ErrorAsync(response, 400, i > 0 && parts[i].Number <= parts[i - 1].Number ? "InvalidPartOrder" : "InvalidPart", $"Part {parts[i].Number} is out of order or was not uploaded.").ConfigureAwait(false);
                return;
            }

            var part = await File.ReadAllBytesAsync(partFile).ConfigureAwait(false);
            var md5 = MD5.HashData(part);
            if (!string.Equals(Quote(md5), parts[i].ETag.StartsWith('"') ? parts[i].ETag : $"\"{parts[i].ETag}\"", StringComparison.OrdinalIgnoreCase))
            {
                await ErrorAsync(response, 400, "InvalidPart", $"Part {parts[i].Number}'s ETag {parts[i].ETag} does not match the uploaded part.").ConfigureAwait(false);
                return;
            }

            if (i < parts.Count - 1 && part.Length < 5 * 1024 * 1024)
            {
                await ErrorAsync(response, 400, "EntityTooSmall", $"Part {parts[i].Number} is {part.Length} bytes; every part but the last must be at least 5 MiB.").ConfigureAwait(false);
                return;
            }

            whole.Write(part);
            md5s.Write(md5);
        }

        var etag = $"\"{Convert.ToHexStringLower(MD5.HashData(md5s.ToArray()))}-{parts.Count}\"";
        lock (_writes)
        {
            WriteAtomically(file, whole.ToArray());
            _etags[file] = etag;
        }

        DeleteFolder(folder);
        await XmlAsync(response, 200, new XElement(S3 + "CompleteMultipartUploadResult",
            new XElement(S3 + "Location", $"{Endpoint}{bucket}/{key}"),
            new XElement(S3 + "Bucket", bucket),
            new XElement(S3 + "Key", key),
            new XElement(S3 + "ETag", etag))).ConfigureAwait(false);
    }

    // A query parameter without a value (?uploads), which HttpListener files under a null name.
    private static bool HasFlag(string rawUrl, string name) =>
        rawUrl.Split('?', 2) is [_, var query] && query.Split('&').Any(p => p == name || p.StartsWith(name + "=", StringComparison.Ordinal));

    private string ETagOf(string file) => _etags.TryGetValue(file, out var etag) ? etag : Quote(MD5.HashData(File.ReadAllBytes(file)));

    private void WriteAtomically(string file, byte[] body)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temporary = _paths.NewTemporaryFile();
        Directory.CreateDirectory(Path.GetDirectoryName(temporary)!);
        File.WriteAllBytes(temporary, body);
        File.Move(temporary, file, overwrite: true);
    }

    private static void DeleteFolder(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // S3 has no folders: removing a key's last object leaves no empty directory behind.
    private static void PruneEmptyFolders(string folder, string bucketFolder)
    {
        while (folder.Length > bucketFolder.Length && Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
        {
            Directory.Delete(folder);
            folder = Path.GetDirectoryName(folder)!;
        }
    }

    // The body, decoding aws-chunked (signed chunks or unsigned with trailers) when the client streams it.
    private static async Task<byte[]> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
        var raw = buffer.ToArray();
        var sha = request.Headers["x-amz-content-sha256"] ?? string.Empty;
        var encoding = request.Headers["Content-Encoding"] ?? string.Empty;
        return sha.StartsWith("STREAMING-", StringComparison.Ordinal) || encoding.Contains("aws-chunked", StringComparison.Ordinal) ? DecodeChunked(raw) : raw;
    }

    private static byte[] DecodeChunked(byte[] raw)
    {
        using var output = new MemoryStream();
        var at = 0;
        while (true)
        {
            var end = IndexOfCrLf(raw, at);
            var header = Encoding.ASCII.GetString(raw, at, end - at);
            var size = int.Parse(header.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            at = end + 2;
            if (size == 0)
            {
                return output.ToArray();
            }

            if (at + size > raw.Length)
            {
                throw new FormatException("The aws-chunked body ends inside a chunk.");
            }

            output.Write(raw, at, size);
            at += size + 2;
        }
    }

    private static int IndexOfCrLf(byte[] raw, int from)
    {
        var index = raw.AsSpan(from).IndexOf("\r\n"u8);
        return index < 0 ? throw new FormatException("The aws-chunked body has a chunk header without CRLF.") : from + index;
    }

    // If-Match: one ETag, a list of them, or '*' (any object); quotes optional, as S3 accepts.
    private static bool ETagMatches(string condition, string etag) =>
        condition.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(c => c == "*" || string.Equals(c.StartsWith('"') ? c : $"\"{c}\"", etag, StringComparison.Ordinal));

    private static string Quote(byte[] md5) => $"\"{Convert.ToHexStringLower(md5)}\"";

    private static async Task XmlAsync(HttpListenerResponse response, int status, XElement body)
    {
        var bytes = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body.ToString(SaveOptions.DisableFormatting));
        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    private static async Task ErrorAsync(HttpListenerResponse response, int status, string code, string message, bool head = false)
    {
        response.Headers["x-amz-error-code"] = code;
        if (head)
        {
            response.StatusCode = status;
            return;
        }

        await XmlAsync(response, status, new XElement("Error", new XElement("Code", code), new XElement("Message", message))).ConfigureAwait(false);
    }
}
