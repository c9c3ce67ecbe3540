using System.Text;
using System.Text.Json;
using StreamFunctions.Lambda.Events;
using StreamFunctions.Lambda.Exceptions;
using StreamFunctions.Lambda.Runtime;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Local.Emulators.Exceptions;
using StreamFunctions.Local.Lambda;

namespace StreamFunctions.FuzzTargets;

/// <summary>A decoded input broke a parser's promise (a path outside the root, bytes lost, a range outside the object): a finding, whatever the exception's type.</summary>
public sealed class InvariantViolatedException(string message) : Exception(message);

/// <summary>
/// The request parsing of the local servers (folder S3, Function URL, Runtime API) as decoders of outside input: each
/// decode runs the parser the server calls and checks the parser's promise, throwing <see cref="InvariantViolatedException"/>
/// when it is broken (a crash to AFL and to the fuzz tests alike).
/// </summary>
public static class ServerParsers
{
    /// <summary>The Runtime API prefix the route target is fuzzed against.</summary>
    public const string RuntimeApiPrefix = "0123456789abcdef0123456789abcdef";

    private static readonly Lazy<(FolderS3Paths Paths, string Outside)> Store = new(CreateStore);
    private static readonly HttpClient Http = new();
    private static readonly long[] ObjectLengths = [0, 1, 10, 5000, long.MaxValue / 2];

    /// <summary>Folder S3 paths: line 1 a request target (<c>/bucket/key?query</c>), line 2 an <c>x-amz-copy-source</c>, line 3 an upload id. Whatever is accepted lies under the root, and not through the root's link to outside (<c>data/out</c>, which each key is also tried below).</summary>
    public static Decoder S3Path { get; } = new(
        "s3-path", "folder S3 request target, copy source and upload id",
        [Text("/data/clicks/2026/11/23/a.jsonl\ndata%2Fstaging%2Fbig\n0123456789abcdef0123456789abcdef"), Text("/data/a%2Fb?uploads\n/data/staging/x"), Text("/data/staging/%C3%A9t%C3%A9.json")],
        DecodePaths,
        e => e is S3RequestException);

    /// <summary>aws-chunked bodies, fed in pieces: refused with S3's errors, and the payload never over the maximum.</summary>
    public static Decoder AwsChunked { get; } = new(
        "s3-chunked", "folder S3 aws-chunked body",
        [Text("5;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\nhello\r\n0;chunk-signature=b6c6\r\n\r\n"), Text("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n")],
        b => DecodeChunked(b, pieceSeed: b.Length),
        e => e is S3RequestException);

    /// <summary>Range headers against objects of several sizes: a served range lies inside the object.</summary>
    public static Decoder S3Range { get; } = new(
        "s3-range", "folder S3 Range header",
        [Text("bytes=0-99"), Text("bytes=-500"), Text("bytes=7-"), Text("bytes=99999999999999999999-")],
        DecodeRange,
        e => e is S3RequestException);

    /// <summary>CompleteMultipartUpload bodies: the parts returned are 1 to 10,000, ascending, each with an ETag.</summary>
    public static Decoder CompleteXml { get; } = new(
        "s3-complete-xml", "folder S3 CompleteMultipartUpload XML",
        [Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag><PartNumber>1</PartNumber></Part><Part><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>")],
        DecodeComplete,
        e => e is S3RequestException);

    /// <summary>Runtime API request lines (<c>METHOD target</c>): a route other than Forbidden only under the exact prefix, a request id one path segment.</summary>
    public static Decoder RuntimeApiRouteTarget { get; } = new(
        "runtime-api-route", "Runtime API request line",
        [Text($"GET /{RuntimeApiPrefix}/2018-06-01/runtime/invocation/next"), Text($"POST /{RuntimeApiPrefix}/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response"), Text($"POST /{RuntimeApiPrefix}/2018-06-01/runtime/init/error"), Text("GET /2018-06-01/runtime/invocation/next")],
        DecodeRoute,
        _ => false);

    /// <summary>AWS_LAMBDA_RUNTIME_API values: refused with a RuntimeApiException, or every call stays under host:port and the prefix.</summary>
    public static Decoder RuntimeApiAddress { get; } = new(
        "runtime-api-address", "AWS_LAMBDA_RUNTIME_API value",
        [Text("127.0.0.1:9001"), Text($"127.0.0.1:49152/{RuntimeApiPrefix}"), Text("[::1]:9001/a/b"), Text("localhost:9001")],
        DecodeAddress,
        e => e is RuntimeApiException);

    /// <summary>Function URL requests (request line, headers, empty line, body) into events: the body's bytes come back exactly from the event.</summary>
    public static Decoder FunctionUrlEvent { get; } = new(
        "function-url-event", "Function URL request into its event",
        [Text("POST /ingest?stream=a&x=%41+b HTTP/1.1\r\nContent-Type: application/json\r\nX-Api-Key: k\r\n\r\n{\"records\":[{\"partitionKey\":\"u1\",\"data\":{\"n\":1}}]}"), [.. Encoding.ASCII.GetBytes("PUT /bin HTTP/1.1\r\nContent-Type: text/plain\r\n\r\n"), 0xC3, 0x28, 0xFF]],
        DecodeEvent,
        _ => false);

    /// <summary>Function outputs into Function URL responses: refused with a FormatException (a 502), or a status, headers and cookies an HTTP response can carry.</summary>
    public static Decoder FunctionUrlOutput { get; } = new(
        "function-url-response", "function output into its Function URL response",
        [Text("{\"statusCode\":201,\"headers\":{\"Content-Type\":\"application/json\",\"My-Custom-Header\":\"Custom Value\"},\"body\":\"{ \\\"message\\\": \\\"Hello, world!\\\" }\",\"cookies\":[\"Cookie_1=Value1; Max-Age=78000\"],\"isBase64Encoded\":false}"), Text("\"Hello, world!\""), Text("{\"statusCode\":200,\"body\":\"aGk=\",\"isBase64Encoded\":true}")],
        DecodeOutput,
        e => e is FormatException);

    /// <summary>Every server parser target.</summary>
    public static IReadOnlyList<Decoder> All { get; } = [S3Path, AwsChunked, S3Range, CompleteXml, RuntimeApiRouteTarget, RuntimeApiAddress, FunctionUrlEvent, FunctionUrlOutput];

    /// <summary>Decodes an aws-chunked body in pieces whose sizes come from a seed, into a small output buffer.</summary>
    /// <param name="body">The encoded body.</param>
    /// <param name="pieceSeed">Chooses where the input is cut and how much room each call has.</param>
    /// <param name="maxPayload">The decoder's maximum.</param>
    /// <returns>The payload.</returns>
    public static byte[] DecodeChunked(byte[] body, int pieceSeed, long maxPayload = 1 << 20)
    {
        ArgumentNullException.ThrowIfNull(body);
        var random = new Random(pieceSeed);
        var decoder = new AwsChunkedDecoder(maxPayload);
        using var payload = new MemoryStream();
        var room = new byte[1 + random.Next(64)];
        for (var at = 0; at < body.Length && !decoder.IsComplete;)
        {
            var piece = body.AsSpan(at, Math.Min(1 + random.Next(97), body.Length - at));
            for (var used = 0; used < piece.Length && !decoder.IsComplete;)
            {
                decoder.Decode(piece[used..], room, out var consumed, out var written);
                if (consumed == 0 && written == 0)
                {
                    throw new InvariantViolatedException("the decoder made no progress with input and room left");
                }

                payload.Write(room, 0, written);
                (used, at) = (used + consumed, at + consumed);
            }
        }

        decoder.Complete();
        if (payload.Length != decoder.PayloadBytes || payload.Length > maxPayload)
        {
            throw new InvariantViolatedException($"{payload.Length} payload bytes written, the decoder counted {decoder.PayloadBytes} (maximum {maxPayload})");
        }

        return payload.ToArray();
    }

    private static void DecodePaths(byte[] input)
    {
        var (paths, outside) = Store.Value;
        var lines = Encoding.UTF8.GetString(input).Split('\n');
        var (bucket, key) = FolderS3Paths.ParseTarget(lines[0]);
        if (bucket.Length > 0)
        {
            Check(paths, outside, paths.BucketFolder(bucket));
            if (key.Length > 0)
            {
                Check(paths, outside, paths.ObjectFile(bucket, key));

                // The same key below the bucket's link to outside must be refused, whatever the key.
                try
                {
                    var escaped = paths.ObjectFile("data", "out/" + key);
                    throw new InvariantViolatedException($"'{escaped}' was given out through the link to outside");
                }
                catch (S3RequestException)
                {
                    // Refused, as it must be (AccessDenied, or the key is invalid anyway).
                }
            }
        }

        if (lines.Length > 1)
        {
            var (fromBucket, fromKey) = FolderS3Paths.ParseCopySource(lines[1]);
            Check(paths, outside, paths.ObjectFile(fromBucket, fromKey));
        }

        if (lines.Length > 2)
        {
            Check(paths, outside, paths.UploadFolder(lines[2]));
        }
    }

    // Under the root as written, and not below the store's link to outside (data/out), which only a resolution that
    // follows links can catch: an independent check of what FolderS3Paths promises.
    private static void Check(FolderS3Paths paths, string outside, string path)
    {
        var sep = Path.DirectorySeparatorChar;
        if (!Path.GetFullPath(path).StartsWith(paths.Root + sep, StringComparison.Ordinal) || path.StartsWith(outside + sep, StringComparison.Ordinal) || path == outside)
        {
            throw new InvariantViolatedException($"'{path}' is outside the store's folder {paths.Root} (or through its link to outside)");
        }
    }

    private static void DecodeRange(byte[] input)
    {
        var header = Encoding.UTF8.GetString(input);
        foreach (var length in ObjectLengths)
        {
            S3ByteRange range;
            try
            {
                range = S3ByteRange.Parse(header, length);
            }
            catch (S3RequestException e) when (e.StatusCode == 416)
            {
                continue;
            }

            if (range.First < 0 || range.First > range.Last || range.Last >= length || range.Length <= 0)
            {
                throw new InvariantViolatedException($"range {range.First}-{range.Last} of '{header}' is not inside an object of {length} bytes");
            }
        }
    }

    private static void DecodeComplete(byte[] input)
    {
        var parts = CompleteMultipartUploadXml.Parse(input);
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i].PartNumber is < 1 or > CompleteMultipartUploadXml.MaxPartNumber || string.IsNullOrEmpty(parts[i].ETag) || (i > 0 && parts[i].PartNumber <= parts[i - 1].PartNumber))
            {
                throw new InvariantViolatedException($"part {i} ({parts[i].PartNumber}, '{parts[i].ETag}') breaks the promised order or range");
            }
        }
    }

    private static void DecodeRoute(byte[] input)
    {
        var line = Encoding.UTF8.GetString(input);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var (method, target) = space < 0 ? (line, string.Empty) : (line[..space], line[(space + 1)..]);
        var route = RuntimeApiRoute.Parse(method, target, Encoding.ASCII.GetBytes(RuntimeApiPrefix));
        if (route.Kind != RuntimeApiRouteKind.Forbidden && !target.StartsWith($"/{RuntimeApiPrefix}/", StringComparison.Ordinal))
        {
            throw new InvariantViolatedException($"'{target}' was routed to {route.Kind} without the prefix");
        }

        if ((route.Kind is RuntimeApiRouteKind.Response or RuntimeApiRouteKind.Error) && (string.IsNullOrEmpty(route.RequestId) || route.RequestId.Contains('/', StringComparison.Ordinal)))
        {
            throw new InvariantViolatedException($"'{target}' gave the request id '{route.RequestId}'");
        }
    }

    private static void DecodeAddress(byte[] input)
    {
        var value = Encoding.UTF8.GetString(input);
        _ = new RuntimeApiClient(Http, value);

        // Accepted: host:port, then a prefix of unreserved segments, nothing a URL would resolve away.
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var prefix = slash < 0 ? string.Empty : value[(slash + 1)..].TrimEnd('/');
        if (prefix.Split('/').Any(s => s is "." or "..") || value.IndexOfAny(['?', '#', '@', '\\', ' ']) >= 0)
        {
            throw new InvariantViolatedException($"'{value}' was accepted as host:port/prefix");
        }
    }

    private static void DecodeEvent(byte[] input)
    {
        // Request line, headers (name: value) up to an empty line, then the body, bytes as they are. The head is looked for
        // in the first 64 KB only, as the server's own limit on a request's head (32 KB) would cut it: a 6 MB input
        // without an empty line is not read as 6 MB of headers (the harness's own strings would pass the allocation
        // budget that holds the code under test).
        const int MaxHead = 64 * 1024;
        var end = input.AsSpan(0, Math.Min(input.Length, MaxHead)).IndexOf("\r\n\r\n"u8);
        var head = Encoding.Latin1.GetString(input, 0, end < 0 ? Math.Min(input.Length, MaxHead) : end).Split("\r\n");
        var body = end < 0 ? [] : input[(end + 4)..];
        var requestLine = head[0].Split(' ');
        var target = requestLine.Length > 1 ? requestLine[1] : "/";
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var headers = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h.Length == 2).Select(h => new KeyValuePair<string, string>(h[0], h[1].Trim()));
        var evnt = LocalFunctionUrl.EventFor(requestLine[0], question < 0 ? target : target[..question], question < 0 ? string.Empty : target[(question + 1)..], headers, body, "127.0.0.1", DateTimeOffset.UnixEpoch);

        // What the function gets, read back as it would read it: the body's bytes exactly.
        var json = LambdaEventJson.Serialize(evnt, LambdaEventsJsonContext.Minimal.APIGatewayHttpApiV2ProxyRequest, evnt.Body?.Length ?? 0);
        var back = JsonSerializer.Deserialize(json.Span, LambdaEventsJsonContext.Default.APIGatewayHttpApiV2ProxyRequest)!;
        var bytes = back.Body is null ? [] : back.IsBase64Encoded ? Convert.FromBase64String(back.Body) : Encoding.UTF8.GetBytes(back.Body);
        if (!bytes.AsSpan().SequenceEqual(body))
        {
            throw new InvariantViolatedException($"the event's body is {bytes.Length} bytes that differ from the request's {body.Length} (base64: {back.IsBase64Encoded})");
        }
    }

    private static void DecodeOutput(byte[] input)
    {
        var response = FunctionUrlResponse.From(input);
        if (response.StatusCode is < 100 or > 599 || response.Headers.Any(h => h.Key.Length == 0 || h.Value.Contains('\n', StringComparison.Ordinal) || h.Value.Contains('\r', StringComparison.Ordinal)) || response.Cookies.Any(c => c.Contains('\n', StringComparison.Ordinal) || c.Contains('\r', StringComparison.Ordinal)))
        {
            throw new InvariantViolatedException($"a response no HTTP server can send was accepted (status {response.StatusCode})");
        }
    }

    // A root with a bucket and a link in it to a folder beside the root.
    private static (FolderS3Paths, string) CreateStore()
    {
        var parent = Path.Combine(Path.GetTempPath(), "sfn-fuzz-s3-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var root = Path.Combine(parent, "out");
        Directory.CreateDirectory(Path.Combine(root, "data", "staging"));
        Directory.CreateDirectory(Path.Combine(parent, "secret"));
        var link = Path.Combine(root, "data", "out");
        if (!Directory.Exists(link))
        {
            Directory.CreateSymbolicLink(link, Path.Combine(parent, "secret"));
        }

        return (new FolderS3Paths(root), link);
    }

    private static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);
}
