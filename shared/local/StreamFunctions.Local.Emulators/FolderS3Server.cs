using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using StreamFunctions.Local.Emulators.Exceptions;
using StreamFunctions.Local.Lambda;

namespace StreamFunctions.Local.Emulators;

/// <summary>
/// An S3 endpoint on loopback that keeps objects as files in a folder, laid out exactly as their keys:
/// <c>{root}/{bucket}/{key}</c>. It speaks the S3 REST protocol (path-style) the platform uses: buckets
/// (create, head), objects (put, conditional put with <c>If-None-Match: *</c> or <c>If-Match: etag</c>, get with one byte range, head, delete, copy), multipart
/// uploads (initiate, upload part, complete with the same conditions as a put, abort) and ListObjectsV2, with S3's XML
/// errors. Requests are not authenticated (it listens on 127.0.0.1 only); SigV4 and aws-chunked bodies are accepted.
/// Writes are atomic (a temporary file renamed into place), so a reader never sees half an object. Multipart parts wait
/// under <c>{root}/.uploads/</c> until completed; an upload id names its upload only with the bucket and key it was
/// begun for. Every path it touches comes from <see cref="FolderS3Paths"/>, which keeps it under the root (after
/// symbolic links).
/// </summary>
/// <remarks>
/// The local pipeline's S3 (<c>sfn run</c>): AWS SDK clients point at <see cref="Endpoint"/>. Every request ends in a
/// success or S3's error XML with S3's status: a refusal is an <see cref="S3RequestException"/>, anything unexpected a
/// logged 500 <c>InternalError</c>. Bodies are bounded before they are read: a PUT or part by
/// <see cref="FolderS3ServerOptions.MaxPutBytes"/> (streamed to a temporary file, never held in memory), a
/// CompleteMultipartUpload by <see cref="CompleteMultipartUploadXml.MaxBytes"/>.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do not use broken cryptographic algorithms", Justification = "S3 defines an object's ETag as the MD5 of its bytes (of its parts' MD5s for multipart); it is an identity, not security.")]
public sealed class FolderS3Server : LoopbackHttpServer
{
    private const int BufferBytes = 64 * 1024;
    private static readonly XNamespace S3 = "http://s3.amazonaws.com/doc/2006-03-01/";

    // Characters XML 1.0 cannot carry are written as character references (as S3 does; clients ask encoding-type=url to avoid them).
    private static readonly XmlWriterSettings XmlSettings = new() { Encoding = new UTF8Encoding(false), CheckCharacters = false };
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private readonly FolderS3Paths _paths;
    private readonly FolderS3ServerOptions _options;
    private readonly ConcurrentDictionary<string, string> _etags = new(StringComparer.Ordinal);
    private readonly Lock _writes = new();

    /// <summary>Creates the server over a folder (created if missing).</summary>
    /// <param name="root">The folder: one subfolder per bucket.</param>
    /// <param name="options">Limits and log; S3's defaults when null.</param>
    public FolderS3Server(string root, FolderS3ServerOptions? options = null)
        : base((options ?? new FolderS3ServerOptions()).Log)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _options = options ?? new FolderS3ServerOptions();
        _options.Validate();
        Directory.CreateDirectory(root);
        _paths = new FolderS3Paths(root);
    }

    /// <summary>The endpoint, e.g. <c>http://127.0.0.1:49152</c>, once started.</summary>
    public Uri Endpoint { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The folder.</summary>
    public string Root => _paths.Root;

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
        var head = request.HttpMethod == "HEAD";
        try
        {
            await RouteAsync(request, response).ConfigureAwait(false);
        }
        catch (S3RequestException e)
        {
            await TryErrorAsync(request, response, e.StatusCode, e.ErrorCode, e.Message, head).ConfigureAwait(false);
        }
        catch (UnauthorizedAccessException e)
        {
            await TryErrorAsync(request, response, 403, "AccessDenied", $"Access Denied: the store cannot reach that file ({e.Message}).", head).ConfigureAwait(false);
        }
        catch (ResponseWriteTimeoutException)
        {
            // The client stopped reading: cut off (the connection is aborted).
            return;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // The client went away, or its body broke off: if it still listens, it gets a 400.
            LoopbackHttp.CloseFailed(response, 400);
            return;
        }
        catch (Exception e)
        {
            // Unexpected: logged and answered as S3's 500, never left as the empty 200 an unanswered response would be.
            LoopbackHttp.Log(Log, $"FolderS3Server: {request.HttpMethod} {request.RawUrl} failed (answered 500 InternalError)", e);
            await TryErrorAsync(request, response, 500, "InternalError", "We encountered an internal error. Please try again.", head).ConfigureAwait(false);
        }

        try
        {
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            // The client went away while the response was sent.
        }
    }

    private async Task RouteAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        // The raw path, not the normalized one: a key with '..' segments is refused, never resolved.
        var raw = request.RawUrl ?? "/";
        var (bucket, key) = FolderS3Paths.ParseTarget(raw);
        var query = request.QueryString;
        if (bucket.Length == 0)
        {
            throw new S3RequestException(400, "InvalidRequest", "Listing buckets is not supported; name a bucket.");
        }

        var bucketFolder = _paths.BucketFolder(bucket);
        if (key.Length == 0)
        {
            await BucketAsync(request, response, bucket, bucketFolder).ConfigureAwait(false);
            return;
        }

        var file = _paths.ObjectFile(bucket, key);
        if (!Directory.Exists(bucketFolder))
        {
            throw new S3RequestException(404, "NoSuchBucket", $"The specified bucket does not exist: {bucket}.");
        }

        switch (request.HttpMethod)
        {
            case "PUT" when query["uploadId"] is { } uploadId:
                await UploadPartAsync(request, response, bucket, key, uploadId, query["partNumber"]).ConfigureAwait(false);
                break;
            case "PUT" when request.Headers["x-amz-copy-source"] is { } source:
                await CopyAsync(response, source, bucketFolder, key, file).ConfigureAwait(false);
                break;
            case "PUT":
                await PutAsync(request, response, bucket, bucketFolder, key, file).ConfigureAwait(false);
                break;
            case "POST" when HasFlag(raw, "uploads"):
                await InitiateAsync(response, bucket, key).ConfigureAwait(false);
                break;
            case "POST" when query["uploadId"] is { } uploadId:
                await CompleteAsync(request, response, bucket, bucketFolder, key, file, uploadId).ConfigureAwait(false);
                break;
            case "DELETE" when query["uploadId"] is { } uploadId:
                DeleteFolder(await PendingUploadFolderAsync(uploadId, bucket, key).ConfigureAwait(false));
                response.StatusCode = 204;
                break;
            case "DELETE":
                lock (_writes)
                {
                    // A key's folder (other keys below it) is not an object: deleting a missing key is a success, as in S3.
                    if (File.Exists(file))
                    {
                        File.Delete(file);
                    }

                    _etags.TryRemove(file, out _);
                    PruneEmptyFolders(Path.GetDirectoryName(file)!, bucketFolder);
                }

                response.StatusCode = 204;
                break;
            case "GET" or "HEAD":
                await GetAsync(request, response, bucket, key, file).ConfigureAwait(false);
                break;
            default:
                throw new S3RequestException(405, "MethodNotAllowed", $"The specified method is not allowed against this resource: {request.HttpMethod} on an object.");
        }
    }

    private async Task BucketAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string folder)
    {
        var missing = new S3RequestException(404, "NoSuchBucket", $"The specified bucket does not exist: {bucket}.");
        switch (request.HttpMethod)
        {
            case "PUT" when File.Exists(folder):
                throw new S3RequestException(400, "InvalidRequest", $"The bucket {bucket} cannot be created: a file of that name is in the store's folder.");
            case "PUT":
                Directory.CreateDirectory(folder);
                response.StatusCode = 200;
                response.Headers["Location"] = "/" + bucket;
                break;
            case "HEAD" or "GET" or "DELETE" when !Directory.Exists(folder):
                throw missing;
            case "HEAD":
                response.StatusCode = 200;
                break;
            case "DELETE" when Directory.EnumerateFileSystemEntries(folder).Any():
                throw new S3RequestException(409, "BucketNotEmpty", $"The bucket you tried to delete is not empty: {bucket}.");
            case "DELETE":
                Directory.Delete(folder);
                response.StatusCode = 204;
                break;
            case "GET":
                await ListAsync(request, response, bucket, folder).ConfigureAwait(false);
                break;
            default:
                throw new S3RequestException(405, "MethodNotAllowed", $"The specified method is not allowed against this resource: {request.HttpMethod} on a bucket.");
        }
    }

    // ListObjectsV2: keys in UTF-8 byte order (as S3), after start-after or the continuation token, up to max-keys (at
    // most 1,000). max-keys=0 lists nothing and is not truncated, as S3 answers it: no token, since none could continue it.
    private async Task ListAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string folder)
    {
        var query = request.QueryString;
        var prefix = query["prefix"] ?? string.Empty;
        var after = query["continuation-token"] is { } token ? ContinuationKey(token) : query["start-after"] ?? string.Empty;
        var max = query["max-keys"] is not { } maxKeys ? 1000
            : int.TryParse(maxKeys, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? Math.Min(m, 1000)
            : throw new S3RequestException(400, "InvalidArgument", $"Provided max-keys not an integer or within integer range: '{Shorten(maxKeys)}'.");

        // Symbolic links are not followed: a listing shows only what lies in the bucket's folder itself.
        var keys = Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && string.CompareOrdinal(k, after) > 0)
            .Order(StringComparer.Ordinal)
            .Take(max + 1)
            .ToList();
        var truncated = max > 0 && keys.Count > max;
        var page = keys.Take(max).ToList();
        var contents = new List<XElement>(page.Count);
        foreach (var k in page)
        {
            var info = new FileInfo(Path.Combine(folder, k.Replace('/', Path.DirectorySeparatorChar)));
            contents.Add(new XElement(S3 + "Contents",
                new XElement(S3 + "Key", k),
                new XElement(S3 + "LastModified", info.LastWriteTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
                new XElement(S3 + "ETag", await ETagOfAsync(info.FullName).ConfigureAwait(false)),
                new XElement(S3 + "Size", info.Length),
                new XElement(S3 + "StorageClass", "STANDARD")));
        }

        var result = new XElement(S3 + "ListBucketResult",
            new XElement(S3 + "Name", bucket),
            new XElement(S3 + "Prefix", prefix),
            new XElement(S3 + "KeyCount", page.Count),
            new XElement(S3 + "MaxKeys", max),
            new XElement(S3 + "IsTruncated", truncated ? "true" : "false"),
            truncated ? new XElement(S3 + "NextContinuationToken", Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1]))) : null,
            contents);
        await XmlAsync(response, 200, result).ConfigureAwait(false);
    }

    // The continuation token is the last key listed, in base64 (UTF-8): anything else is not a token this store gave.
    private static string ContinuationKey(string token)
    {
        var bytes = new byte[(token.Length * 3 / 4) + 3];
        try
        {
            return Convert.TryFromBase64String(token, bytes, out var length)
                ? StrictUtf8.GetString(bytes, 0, length)
                : throw new S3RequestException(400, "InvalidArgument", "The continuation token provided is incorrect: it is not base64.");
        }
        catch (DecoderFallbackException e)
        {
            throw new S3RequestException(400, "InvalidArgument", "The continuation token provided is incorrect: it is not a key this store listed.", e);
        }
    }

    private async Task PutAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string bucketFolder, string key, string file)
    {
        var conditions = WriteConditions.Of(request, "PUT");
        using var body = await ReceiveAsync(request, response).ConfigureAwait(false);
        var etag = Quote(body.Md5);
        lock (_writes)
        {
            // Checked and written under one lock: of two conditional writers, exactly one wins.
            if (Unmet(conditions, bucket, key, file) is { } unmet)
            {
                throw unmet;
            }

            MoveIntoPlace(body.TemporaryFile, file, bucketFolder, key);
            _etags[file] = etag;
        }

        response.Headers["ETag"] = etag;
        response.StatusCode = 200;
    }

    // Why a conditional write (PUT, CompleteMultipartUpload) cannot replace the object as it is now, or null when it
    // can; called under the write lock, so the answer holds until the write it guards is done.
    private S3RequestException? Unmet(WriteConditions conditions, string bucket, string key, string file)
    {
        if (conditions.NoneMatch is not null && File.Exists(file))
        {
            return new S3RequestException(412, "PreconditionFailed", $"{bucket}/{key} exists (If-None-Match: *).");
        }

        if (conditions.Match is not null && !File.Exists(file))
        {
            return new S3RequestException(404, "NoSuchKey", $"The key {key} does not exist in {bucket} (If-Match needs an object).");
        }

        return conditions.Match is { } expected && ETagOf(file) is var current && !ETagMatches(expected, current)
            ? new S3RequestException(412, "PreconditionFailed", $"{bucket}/{key}'s ETag is {current}, not {Shorten(expected)} (If-Match).")
            : null;
    }

    private async Task CopyAsync(HttpListenerResponse response, string source, string bucketFolder, string key, string file)
    {
        var (fromBucket, fromKey) = FolderS3Paths.ParseCopySource(source);
        var from = _paths.ObjectFile(fromBucket, fromKey);
        if (!File.Exists(from))
        {
            throw new S3RequestException(404, "NoSuchKey", $"The copy source {fromBucket}/{fromKey} does not exist.");
        }

        if (new FileInfo(from).Length > FolderS3ServerOptions.S3MaxPutBytes)
        {
            throw new S3RequestException(400, "InvalidRequest", $"The specified copy source is larger than the maximum allowable size for a copy source: {FolderS3ServerOptions.S3MaxPutBytes}.");
        }

        // The copy's ETag is the MD5 of the bytes copied, as S3 gives an object a copy creates (even of a multipart
        // source), taken from the copy itself: the source may be replaced while it is copied.
        var temporary = NewTemporaryFile();
        string etag;
        try
        {
            File.Copy(from, temporary);
            etag = Quote(HashFile(temporary));
            lock (_writes)
            {
                MoveIntoPlace(temporary, file, bucketFolder, key);
                _etags[file] = etag;
            }
        }
        finally
        {
            File.Delete(temporary);
        }

        await XmlAsync(response, 200, new XElement(S3 + "CopyObjectResult",
            new XElement(S3 + "LastModified", File.GetLastWriteTimeUtc(file).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
            new XElement(S3 + "ETag", etag))).ConfigureAwait(false);
    }

    private async Task GetAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string key, string file)
    {
        var head = request.HttpMethod == "HEAD";
        var missing = new S3RequestException(404, "NoSuchKey", $"The specified key does not exist: {key} in {bucket}.");
        if (!File.Exists(file))
        {
            throw missing;
        }

        FileStream stream;
        string? cached;
        try
        {
            // Opened, and its ETag looked up, under the write lock: a PUT renames a new file into place and records its
            // ETag under the same lock, so the ETag sent is the one of the bytes sent (a body that does not match its
            // ETag fails the SDK's integrity check). Shared for delete: such a PUT may replace the file while it is read.
            lock (_writes)
            {
                stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
                cached = _etags.GetValueOrDefault(file);
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted between the two calls.
            throw missing;
        }

        await using (stream.ConfigureAwait(false))
        {
            var length = stream.Length;
            var range = !head && request.Headers["Range"] is { } header ? S3ByteRange.Parse(header, length) : (S3ByteRange?)null;
            if (cached is null)
            {
                // Not written through this server (a file left by an earlier run): the MD5 of the very file opened.
                cached = Quote(await MD5.HashDataAsync(stream).ConfigureAwait(false));
                stream.Position = 0;
            }

            response.Headers["ETag"] = cached;
            response.Headers["Last-Modified"] = File.GetLastWriteTimeUtc(file).ToString("R", CultureInfo.InvariantCulture);
            response.Headers["Accept-Ranges"] = "bytes";
            response.ContentType = "application/octet-stream";
            response.StatusCode = range is null ? 200 : 206;
            if (range is { } r)
            {
                response.Headers["Content-Range"] = $"bytes {r.First}-{r.Last}/{length}";
            }

            response.ContentLength64 = range?.Length ?? length;
            if (head)
            {
                return;
            }

            stream.Position = range?.First ?? 0;
            await SendAsync(stream, response, range?.Length ?? length).ConfigureAwait(false);
        }
    }

    private async Task InitiateAsync(HttpListenerResponse response, string bucket, string key)
    {
        var uploadId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(_paths.UploadFolder(uploadId));
        await File.WriteAllTextAsync(_paths.UploadTargetFile(uploadId), $"{bucket}/{key}").ConfigureAwait(false);
        await XmlAsync(response, 200, new XElement(S3 + "InitiateMultipartUploadResult",
            new XElement(S3 + "Bucket", bucket),
            new XElement(S3 + "Key", key),
            new XElement(S3 + "UploadId", uploadId))).ConfigureAwait(false);
    }

    private async Task UploadPartAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string key, string uploadId, string? partNumber)
    {
        if (!int.TryParse(partNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > CompleteMultipartUploadXml.MaxPartNumber)
        {
            throw new S3RequestException(400, "InvalidArgument", $"Part number must be an integer between 1 and 10000, inclusive (got '{Shorten(partNumber ?? string.Empty)}').");
        }

        await PendingUploadFolderAsync(uploadId, bucket, key).ConfigureAwait(false);
        var part = _paths.PartFile(uploadId, number);
        using var body = await ReceiveAsync(request, response).ConfigureAwait(false);
        lock (_writes)
        {
            File.Move(body.TemporaryFile, part, overwrite: true);
        }

        response.Headers["ETag"] = Quote(body.Md5);
        response.StatusCode = 200;
    }

    // Complete: the listed parts, in order, each matching its ETag; every part but the last at least 5 MiB (as S3).
    private async Task CompleteAsync(HttpListenerRequest request, HttpListenerResponse response, string bucket, string bucketFolder, string key, string file, string uploadId)
    {
        var folder = await PendingUploadFolderAsync(uploadId, bucket, key).ConfigureAwait(false);

        // Conditions are checked as the request arrives (unmet: 412, or 404 for If-Match without an object, and the
        // upload stays), and again with the final move, under the lock: a write that finished first is 412; an object
        // If-Match found but a delete removed meanwhile is S3's 409 ConditionalRequestConflict, and the upload is spent.
        var conditions = WriteConditions.Of(request, "CompleteMultipartUpload");
        lock (_writes)
        {
            if (Unmet(conditions, bucket, key, file) is { } unmet)
            {
                throw unmet;
            }
        }

        byte[] xml;
        try
        {
            xml = await LoopbackHttp.ReadBodyAsync(request, CompleteMultipartUploadXml.MaxBytes, response, BodyIdleTimeout).ConfigureAwait(false)
                ?? throw new S3RequestException(400, "MaxMessageLengthExceeded", $"Your request was too big: a CompleteMultipartUpload body of over {CompleteMultipartUploadXml.MaxBytes} bytes.");
        }
        catch (RequestBodyTimeoutException e)
        {
            throw RequestTimeout(e);
        }
        catch (EndOfStreamException e)
        {
            throw new S3RequestException(400, "IncompleteBody", $"You did not provide the number of bytes specified by the Content-Length HTTP header: {e.Message}", e);
        }

        var parts = CompleteMultipartUploadXml.Parse(xml);
        using var md5s = new MemoryStream();
        var temporary = NewTemporaryFile();
        try
        {
            var whole = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferBytes, FileOptions.Asynchronous);
            await using (whole.ConfigureAwait(false))
            {
                for (var i = 0; i < parts.Count; i++)
                {
                    var partFile = _paths.PartFile(uploadId, parts[i].PartNumber);
                    if (!File.Exists(partFile))
                    {
                        throw new S3RequestException(400, "InvalidPart", $"One or more of the specified parts could not be found: part {parts[i].PartNumber} was not uploaded.");
                    }

                    var size = new FileInfo(partFile).Length;
                    if (i < parts.Count - 1 && size < 5 * 1024 * 1024)
                    {
                        throw new S3RequestException(400, "EntityTooSmall", $"Your proposed upload is smaller than the minimum allowed object size: part {parts[i].PartNumber} is {size} bytes; every part but the last must be at least 5 MiB.");
                    }

                    var md5 = await AppendAsync(partFile, whole).ConfigureAwait(false);
                    var expected = parts[i].ETag.StartsWith('"') ? parts[i].ETag : $"\"{parts[i].ETag}\"";
                    if (!string.Equals(Quote(md5), expected, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new S3RequestException(400, "InvalidPart", $"One or more of the specified parts could not be found: part {parts[i].PartNumber}'s ETag {Shorten(parts[i].ETag)} does not match the uploaded part.");
                    }

                    md5s.Write(md5);
                }
            }

            var etag = $"\"{Convert.ToHexStringLower(MD5.HashData(md5s.ToArray()))}-{parts.Count}\"";
            S3RequestException? unmet;
            lock (_writes)
            {
                unmet = Unmet(conditions, bucket, key, file);
                if (unmet is null)
                {
                    MoveIntoPlace(temporary, file, bucketFolder, key);
                    _etags[file] = etag;
                }
            }

            if (unmet is { StatusCode: 404 })
            {
                DeleteFolder(folder);
                throw new S3RequestException(409, "ConditionalRequestConflict", $"A conflicting operation occurred: {bucket}/{Shorten(key)} was deleted while the upload was completed (If-Match); begin the multipart upload again.", unmet);
            }

            if (unmet is not null)
            {
                throw unmet;
            }

            DeleteFolder(folder);
            await XmlAsync(response, 200, new XElement(S3 + "CompleteMultipartUploadResult",
                new XElement(S3 + "Location", $"{Endpoint}{bucket}/{key}"),
                new XElement(S3 + "Bucket", bucket),
                new XElement(S3 + "Key", key),
                new XElement(S3 + "ETag", etag))).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    // A pending upload's folder. An id this store never gave, one completed or aborted, or one begun for another bucket
    // or key (S3 scopes an upload id to its bucket and key) is S3's NoSuchUpload (404).
    private async Task<string> PendingUploadFolderAsync(string uploadId, string bucket, string key)
    {
        var folder = _paths.UploadFolder(uploadId);
        string recorded;
        try
        {
            recorded = await File.ReadAllTextAsync(_paths.UploadTargetFile(uploadId)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new S3RequestException(404, "NoSuchUpload", $"The specified multipart upload does not exist: {uploadId} was never begun here, or was completed or aborted.", e);
        }

        return recorded == $"{bucket}/{key}"
            ? folder
            : throw new S3RequestException(404, "NoSuchUpload", $"The specified multipart upload does not exist: {uploadId} was begun for {Shorten(recorded)}, not {bucket}/{Shorten(key)}.");
    }

    // A part appended to the object being assembled, hashed as it is copied.
    private static async Task<byte[]> AppendAsync(string partFile, Stream whole)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            var part = new FileStream(partFile, FileMode.Open, FileAccess.Read, FileShare.Read, BufferBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (part.ConfigureAwait(false))
            {
                int read;
                while ((read = await part.ReadAsync(buffer.AsMemory(0, BufferBytes)).ConfigureAwait(false)) > 0)
                {
                    md5.AppendData(buffer, 0, read);
                    await whole.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                }
            }

            return md5.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // A query parameter without a value (?uploads), which HttpListener files under a null name.
    private static bool HasFlag(string rawUrl, string name) =>
        rawUrl.Split('?', 2) is [_, var query] && query.Split('&').Any(p => p == name || p.StartsWith(name + "=", StringComparison.Ordinal));

    private string ETagOf(string file) => _etags.TryGetValue(file, out var etag) ? etag : Quote(HashFile(file));

    private async Task<string> ETagOfAsync(string file)
    {
        if (_etags.TryGetValue(file, out var etag))
        {
            return etag;
        }

        var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferBytes, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            return Quote(await MD5.HashDataAsync(stream).ConfigureAwait(false));
        }
    }

    private static byte[] HashFile(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, BufferBytes, FileOptions.SequentialScan);
        return MD5.HashData(stream);
    }

    private string NewTemporaryFile()
    {
        Directory.CreateDirectory(_paths.Temporary);
        return _paths.NewTemporaryFile();
    }

    // S3 keys are not files: 'a' and 'a/b' can both be objects there. Here a key's folders are real folders, so a key
    // below an object, or an object where other keys' folder is, is refused rather than failing inside the file system.
    private static void MoveIntoPlace(string temporary, string file, string bucketFolder, string key)
    {
        for (var folder = Path.GetDirectoryName(file)!; folder.Length > bucketFolder.Length; folder = Path.GetDirectoryName(folder)!)
        {
            if (File.Exists(folder))
            {
                throw new S3RequestException(400, "InvalidRequest", $"This store keeps keys as files and folders: {Shorten(key)} cannot be written below the object {Path.GetRelativePath(bucketFolder, folder).Replace(Path.DirectorySeparatorChar, '/')}.");
            }
        }

        if (Directory.Exists(file))
        {
            throw new S3RequestException(400, "InvalidRequest", $"This store keeps keys as files and folders: {Shorten(key)} is the folder of other keys, so it cannot be an object too.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
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

    // A PUT's or part's body into a temporary file, decoding aws-chunked (signed chunks or unsigned with trailers) when
    // the client streams it; sizes the headers declare are checked before anything is read, and reading stops at the limit.
    private async Task<ReceivedBody> ReceiveAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        var max = _options.MaxPutBytes;
        var sha = request.Headers["x-amz-content-sha256"] ?? string.Empty;
        var chunked = sha.StartsWith("STREAMING-", StringComparison.Ordinal) || (request.Headers["Content-Encoding"] ?? string.Empty).Contains("aws-chunked", StringComparison.Ordinal);
        var declared = request.ContentLength64;
        long? decodedLength = chunked && request.Headers["x-amz-decoded-content-length"] is { } decoded
            ? long.TryParse(decoded, NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : throw new S3RequestException(400, "InvalidArgument", $"x-amz-decoded-content-length '{Shorten(decoded)}' is not a byte count.")
            : null;
        if ((chunked ? decodedLength : declared) > max)
        {
            throw TooLarge(max);
        }

        // aws-chunked framing adds about 90 bytes to a chunk of 8 KiB or more (SDKs send 64 KiB): an eighth is far beyond it.
        var maxEncoded = chunked ? max + (max / 8) + (1024 * 1024) : max;
        if (declared > maxEncoded)
        {
            throw TooLarge(max);
        }

        var decoder = chunked ? new AwsChunkedDecoder(max) : null;
        var body = new ReceivedBody(NewTemporaryFile());
        var input = ArrayPool<byte>.Shared.Rent(BufferBytes);
        var output = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            var file = new FileStream(body.TemporaryFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferBytes, FileOptions.Asynchronous);
            long received = 0, payload = 0;
            var startedAt = Stopwatch.GetTimestamp();
            await using (file.ConfigureAwait(false))
            {
                int read;
                while (decoder is not { IsComplete: true } && (read = await ReadAsync(request, response, input, received, startedAt).ConfigureAwait(false)) > 0)
                {
                    received += read;
                    if (received > maxEncoded)
                    {
                        throw TooLarge(max);
                    }

                    if (decoder is null)
                    {
                        md5.AppendData(input, 0, read);
                        await file.WriteAsync(input.AsMemory(0, read)).ConfigureAwait(false);
                        payload += read;
                        continue;
                    }

                    for (var at = 0; at < read && !decoder.IsComplete;)
                    {
                        decoder.Decode(input.AsSpan(at, read - at), output.AsSpan(0, BufferBytes), out var consumed, out var written);
                        at += consumed;
                        md5.AppendData(output, 0, written);
                        await file.WriteAsync(output.AsMemory(0, written)).ConfigureAwait(false);
                        payload += written;
                    }
                }
            }

            decoder?.Complete();
            if ((decoder is null && declared >= 0 && received != declared) || (decodedLength is { } expected && payload != expected))
            {
                throw new S3RequestException(400, "IncompleteBody", $"You did not provide the number of bytes specified by the Content-Length HTTP header: {(decoder is null ? received : payload)} of {(decoder is null ? declared : decodedLength)}.");
            }

            body.Md5 = md5.GetHashAndReset();
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    // HttpListener says a body that broke off (the client closed its side) with an HttpListenerException: IncompleteBody.
    // A body sent too slowly holds a slot other clients need: S3's RequestTimeout, and the connection is closed.
    private async Task<int> ReadAsync(HttpListenerRequest request, HttpListenerResponse response, byte[] buffer, long received, long startedAt)
    {
        try
        {
            return await LoopbackHttp.ReadPacedAsync(request, buffer.AsMemory(0, BufferBytes), received, startedAt, BodyIdleTimeout, response).ConfigureAwait(false);
        }
        catch (HttpListenerException e)
        {
            throw new S3RequestException(400, "IncompleteBody", $"You did not provide the number of bytes specified by the Content-Length HTTP header: the body broke off after {received} bytes.", e);
        }
        catch (RequestBodyTimeoutException e)
        {
            throw RequestTimeout(e);
        }
    }

    private static S3RequestException RequestTimeout(RequestBodyTimeoutException e)
        => new(400, "RequestTimeout", $"Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed. ({e.Message})", e);

    // An object's bytes to a client that keeps reading (LoopbackHttp.WritePacedAsync): one that stops is cut off
    // instead of holding its request's slot for as long as a 5 GiB object takes.
    private async Task SendAsync(Stream from, HttpListenerResponse response, long count)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        var startedAt = Stopwatch.GetTimestamp();
        long sent = 0;
        try
        {
            while (count > 0)
            {
                var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferBytes, count))).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException($"The object ended {count} bytes early (changed while it was read).");
                }

                await LoopbackHttp.WritePacedAsync(response, buffer.AsMemory(0, read), sent, startedAt, BodyIdleTimeout).ConfigureAwait(false);
                sent += read;
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static S3RequestException TooLarge(long max) =>
        new(400, "EntityTooLarge", $"Your proposed upload exceeds the maximum allowed size: {max} bytes for one PUT or part.");

    // If-Match: one ETag, a list of them, or '*' (any object); quotes optional, as S3 accepts.
    private static bool ETagMatches(string condition, string etag) =>
        condition.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(c => c == "*" || string.Equals(c.StartsWith('"') ? c : $"\"{c}\"", etag, StringComparison.Ordinal));

    private static string Quote(byte[] md5) => $"\"{Convert.ToHexStringLower(md5)}\"";

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";

    private static async Task XmlAsync(HttpListenerResponse response, int status, XElement body)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, XmlSettings))
        {
            writer.WriteStartDocument();
            body.WriteTo(writer);
        }

        response.StatusCode = status;
        response.ContentType = "application/xml";
        response.ContentLength64 = buffer.Length;
        await LoopbackHttp.WritePacedAsync(response, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), 0, Stopwatch.GetTimestamp(), LoopbackHttp.DefaultBodyIdleTimeout).ConfigureAwait(false);
    }

    // S3's error XML; if the response has already started (a failure while an object was streamed), the connection is
    // closed short of the Content-Length already sent, which the client sees as a failed request.
    private static async Task TryErrorAsync(HttpListenerRequest request, HttpListenerResponse response, int status, string code, string message, bool head)
    {
        try
        {
            await LoopbackHttp.DrainAsync(request, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            response.Headers["x-amz-error-code"] = code;
            if (head)
            {
                response.StatusCode = status;
                return;
            }

            await XmlAsync(response, status, new XElement("Error", new XElement("Code", code), new XElement("Message", message))).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpListenerException or ObjectDisposedException or IOException)
        {
            LoopbackHttp.CloseFailed(response, status);
        }
    }

    // S3's conditional-write headers: If-None-Match takes only '*' (no object may be at the key), If-Match an ETag, a
    // list of them or '*' (the object there must be one of them).
    private sealed record WriteConditions(string? NoneMatch, string? Match)
    {
        public static WriteConditions Of(HttpListenerRequest request, string operation)
        {
            var noneMatch = request.Headers["If-None-Match"];
            return noneMatch is null or "*"
                ? new WriteConditions(noneMatch, request.Headers["If-Match"])
                : throw new S3RequestException(501, "NotImplemented", $"A header you provided implies functionality that is not implemented: If-None-Match on {operation} takes only '*'.");
        }
    }

    // A received body waiting in its temporary file; the file goes when the body is disposed, unless it was moved into place.
    private sealed class ReceivedBody(string temporaryFile) : IDisposable
    {
        public string TemporaryFile { get; } = temporaryFile;

        public byte[] Md5 { get; set; } = [];

        public void Dispose() => File.Delete(TemporaryFile);
    }
}
