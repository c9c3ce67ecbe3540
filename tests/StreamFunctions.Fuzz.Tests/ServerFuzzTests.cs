using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using FsCheck.Xunit;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Local.Emulators;
using StreamFunctions.Local.Lambda;
using Xunit.Sdk;

namespace StreamFunctions.Fuzz.Tests;

/// <summary>
/// Whole HTTP requests, mutated from valid ones, over a raw socket to the running local servers (folder S3, Function URL,
/// Runtime API): every answer is a well-formed HTTP response; a failure is the server's own error (S3's XML, Lambda's
/// JSON) or HttpListener's for a request it could not parse, never a 500 (an exception the server did not expect, which
/// it logs) and never an empty 200; nothing is written outside the S3 store's folder; a request without the Runtime
/// API's prefix is always a 403.
/// </summary>
public sealed class ServerFuzzTests(ServerFuzzTests.Servers servers) : IClassFixture<ServerFuzzTests.Servers>
{
    private const int Requests = 400;
    private static readonly Regex StatusLine = new(@"^HTTP/1\.1 (\d{3}) ", RegexOptions.CultureInvariant);

    [Property(MaxTest = Requests)]
    public void FolderS3_MutatedRequest_S3AnswerOrListenerRefusal(int seed)
    {
        var request = Mutated(servers.S3Samples, seed);
        var (status, answer) = Send(servers.S3.Endpoint.Port, request, seed);
        if (status is null)
        {
            return;
        }

        // (An exception the store did not expect is answered 500 and logged, where it used to leave an empty 200: no 500
        // and an empty log is what "never an empty 200 for a failure" means from the outside.)
        var body = Body(answer);
        Expect(status != 500, seed, request, answer, "a 500: the store met an exception it did not expect");
        Expect(status is not 200 || IsHead(request) || Regex.IsMatch(answer, "^(ETag|Location|Content-Type): ", RegexOptions.Multiline), seed, request, answer, "an empty 200 (none of the store's successes is one)");
        Expect(status < 400 || IsHead(request) || (body.StartsWith("<?xml", StringComparison.Ordinal) && body.Contains("<Error><Code>", StringComparison.Ordinal)) || IsListenerRefusal(status.Value, body), seed, request, answer, "a failure that is not S3's error XML");
        Expect(Directory.EnumerateFileSystemEntries(servers.S3Parent).Order(StringComparer.Ordinal).SequenceEqual([Path.Combine(servers.S3Parent, "out"), Path.Combine(servers.S3Parent, "secret")]), seed, request, answer, "something was written beside the store's folder");
        Expect(!Directory.EnumerateFileSystemEntries(Path.Combine(servers.S3Parent, "secret")).Any(), seed, request, answer, "something was written through the link to outside");
        Expect(servers.S3Log.ToString().Length == 0, seed, request, answer, "the store logged a failure: " + servers.S3Log);
    }

    [Property(MaxTest = Requests)]
    public void FunctionUrl_MutatedRequest_FunctionAnswerOrLambdasRefusal(int seed)
    {
        var request = Mutated(servers.FunctionUrlSamples, seed);
        var (status, answer) = Send(servers.Url.Url.Port, request, seed);
        if (status is null)
        {
            return;
        }

        var body = Body(answer);
        Expect(status != 500, seed, request, answer, "a 500: the URL met an exception it did not expect");
        Expect((status is 200 && (body == RecordingFunction.Answer || IsHead(request))) || (status is 400 or 413 && body.StartsWith("{\"Message\":", StringComparison.Ordinal)) || IsListenerRefusal(status.Value, body), seed, request, answer, "neither the function's answer nor a Function URL refusal");
        Expect(servers.UrlLog.ToString().Length == 0, seed, request, answer, "the URL logged a failure: " + servers.UrlLog);
    }

    [Property(MaxTest = Requests)]
    public void RuntimeApi_MutatedRequest_403WithoutThePrefixAndJsonErrors(int seed)
    {
        var request = Mutated(servers.RuntimeApiSamples(), seed);
        var (status, answer) = Send(servers.RuntimePort, request, seed, nextMayWait: true);
        if (status is null)
        {
            return;
        }

        var body = Body(answer);
        var target = Encoding.Latin1.GetString(request).Split(' ') is [_, var t, ..] ? t : string.Empty;
        Expect(status != 500, seed, request, answer, "a 500: the Runtime API met an exception it did not expect");
        Expect(target.StartsWith(servers.RuntimePrefix, StringComparison.Ordinal) || status == 403 || IsListenerRefusal(status.Value, body), seed, request, answer, "a request without the prefix was not refused");
        Expect(status is not 200, seed, request, answer, "a 200 (only a 'next' is one, and none is sent)");
        Expect((status is 202 && body == "{\"status\":\"OK\"}") || body.Contains("\"errorType\":", StringComparison.Ordinal) || IsListenerRefusal(status.Value, body), seed, request, answer, "a failure that is not the Runtime API's JSON error");
        Expect(servers.RuntimeLog.ToString().Length == 0, seed, request, answer, "the Runtime API logged a failure: " + servers.RuntimeLog);
    }

    // HttpListener answers a request it cannot parse or route (a broken request line, a Host no prefix matches, headers
    // over 32 KB) itself, before any handler: a 400 or 404 with its own HTML.
    private static bool IsListenerRefusal(int status, string body) => status is 400 or 404 or 411 or 414 or 501 && (body.StartsWith("<h1>", StringComparison.Ordinal) || body.Length == 0);

    private static bool IsHead(byte[] request) => request.AsSpan().StartsWith("HEAD "u8);

    private static string Body(string answer) => answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var at and >= 0 ? answer[(at + 4)..] : string.Empty;

    private static void Expect(bool holds, int seed, byte[] request, string answer, string what)
    {
        if (!holds)
        {
            var shown = Encoding.Latin1.GetString(request, 0, Math.Min(request.Length, 600));
            throw new XunitException($"seed {seed}: {what}\nrequest: {shown}\nanswer: {answer[..Math.Min(answer.Length, 600)]}");
        }
    }

    // A sample with one part mutated as the decoders' inputs are: its target (path and query), one header's value, or
    // its body, framed again with a true Content-Length so the mutation reaches the server's own parsing; one time in
    // eight the framed request itself is mutated, for the framing (request line, CRLFs, lengths), and one in eight
    // announces more body than it sends (the connection half-closed after it).
    private static byte[] Mutated(IReadOnlyList<RawRequest> samples, int seed)
    {
        var random = new Random(seed);
        var sample = samples[random.Next(samples.Count)];
        switch (random.Next(8))
        {
            case 0:
                return Fuzz.Mutate([sample.Frame()], seed);
            case 1 or 2:
                var target = OneLine(Fuzz.Mutate([Encoding.Latin1.GetBytes(sample.Target)], seed)).Replace(' ', '+');
                return (sample with { Target = target.StartsWith('/') ? target : "/" + target }).Frame();
            case 7:
                return (sample with { Headers = [.. sample.Headers, ("Content-Length", (sample.Body.Length + 1 + random.Next(1000)).ToString(System.Globalization.CultureInfo.InvariantCulture))] }).Frame(withLength: false);
            case 3 or 4 when sample.Headers.Count > 0:
                var at = random.Next(sample.Headers.Count);
                var value = OneLine(Fuzz.Mutate([Encoding.Latin1.GetBytes(sample.Headers[at].Value)], seed));
                return (sample with { Headers = [.. sample.Headers.Select((h, i) => i == at ? (h.Name, value) : h)] }).Frame();
            default:
                return (sample with { Body = Fuzz.Mutate([sample.Body], seed) }).Frame();
        }
    }

    private static string OneLine(byte[] bytes) => Encoding.Latin1.GetString(bytes).Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);

    // One request on its own connection, sent whole and then half-closed (so a body shorter than announced ends), read
    // until the server closes. No answer at all is allowed only when the request's head never ended; a Runtime API
    // request that is a valid 'next' may wait for an invocation that never comes.
    private static (int? Status, string Answer) Send(int port, byte[] request, int seed, bool nextMayWait = false)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        client.ReceiveTimeout = 10_000;
        var stream = client.GetStream();
        try
        {
            stream.Write(request);
            client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The server refused before the whole request was sent (and closed): its answer is still read below.
        }

        var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                answer.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (answer.Length > 0 || nextMayWait)
        {
            // Reset after the answer (the rest of a large body unread), or a 'next' waiting for an invocation.
        }

        var text = Encoding.UTF8.GetString(answer.ToArray());
        if (text.Length == 0)
        {
            var headEnded = request.AsSpan().IndexOf("\r\n\r\n"u8) >= 0;
            Expect(!headEnded || nextMayWait, seed, request, text, "no answer to a complete request");
            return (null, text);
        }

        var status = StatusLine.Match(text);
        Expect(status.Success, seed, request, text, "not an HTTP/1.1 status line");
        return (int.Parse(status.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), text);
    }

    /// <summary>The three servers, started once for the class, with the samples their mutations start from.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes the fixture through IAsyncLifetime.")]
    public sealed class Servers : IAsyncLifetime
    {
        private readonly LocalRuntimeApiServer _runtime;

        public Servers()
        {
            S3Parent = Path.Combine(Path.GetTempPath(), "sfn-fuzz-http-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(S3Parent, "out", "data"));
            Directory.CreateDirectory(Path.Combine(S3Parent, "secret"));
            Directory.CreateSymbolicLink(Path.Combine(S3Parent, "out", "data", "link"), Path.Combine(S3Parent, "secret"));
            S3 = new FolderS3Server(Path.Combine(S3Parent, "out"), new FolderS3ServerOptions { MaxPutBytes = 1 << 20, Log = S3Log });
            S3.Start();
            Url = new LocalFunctionUrl(new RecordingFunction(), log: UrlLog);
            Url.Start();
            _runtime = new LocalRuntimeApiServer(new LocalFunctionOptions { Timeout = TimeSpan.FromMinutes(1) }, log: RuntimeLog);
            _runtime.Start();
            RuntimePort = int.Parse(_runtime.RuntimeApi.Split('/')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            RuntimePrefix = "/" + _runtime.RuntimeApi.Split('/')[1] + "/";
            S3Samples = [.. S3Requests()];
            FunctionUrlSamples =
            [
                new("POST", "/", [("Content-Type", "application/json"), ("X-Api-Key", "k")], Encoding.UTF8.GetBytes("{\"records\":[{\"partitionKey\":\"u1\",\"data\":{\"n\":1}}]}")),
                new("PUT", "/bin?x=%41", [("Content-Type", "text/plain")], [0xC3, 0x28, 0xFF]),
                new("GET", "/path?a=1&a=2&b", [("Cookie", "c=1"), ("User-Agent", "fuzz")], []),
            ];
        }

        public FolderS3Server S3 { get; }

        public string S3Parent { get; }

        public StringWriter S3Log { get; } = new();

        public IReadOnlyList<RawRequest> S3Samples { get; }

        public LocalFunctionUrl Url { get; }

        public StringWriter UrlLog { get; } = new();

        public IReadOnlyList<RawRequest> FunctionUrlSamples { get; }

        public int RuntimePort { get; }

        public string RuntimePrefix { get; }

        public StringWriter RuntimeLog { get; } = new();

        // Never a valid 'next' (it would wait for an invocation); the request id is not in flight, so a response is a 400.
        public IReadOnlyList<RawRequest> RuntimeApiSamples()
        {
            const string Id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
            return
            [
                new("POST", $"{RuntimePrefix}2018-06-01/runtime/invocation/{Id}/response", [("Content-Type", "application/json")], "{\"ok\":true}"u8.ToArray()),
                new("POST", $"{RuntimePrefix}2018-06-01/runtime/invocation/{Id}/error", [("Lambda-Runtime-Function-Error-Type", "E")], "{\"errorMessage\":\"m\",\"errorType\":\"E\"}"u8.ToArray()),
                new("POST", $"{RuntimePrefix}2018-06-01/runtime/init/error", [("Lambda-Runtime-Function-Error-Type", "Runtime.X")], "{}"u8.ToArray()),
                new("GET", "/2018-06-01/runtime/invocation/next", [], []),
                new("GET", $"{RuntimePrefix}2018-06-01/runtime/invocation/nxt", [], []),
            ];
        }

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            await S3.DisposeAsync();
            await Url.DisposeAsync();
            await _runtime.DisposeAsync();
            Directory.Delete(S3Parent, recursive: true);
            S3Log.Dispose();
            UrlLog.Dispose();
            RuntimeLog.Dispose();
        }

        private static IEnumerable<RawRequest> S3Requests()
        {
            const string Upload = "0123456789abcdef0123456789abcdef";
            yield return new("PUT", "/data", [], []);
            yield return new("PUT", "/data/clicks/2026/a.jsonl", [("Content-Type", "application/octet-stream")], "hello"u8.ToArray());
            yield return new("PUT", "/data/chunked", [("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("x-amz-decoded-content-length", "6")], "5;chunk-signature=00\r\nhello\r\n1;chunk-signature=01\r\n!\r\n0;chunk-signature=02\r\n\r\n"u8.ToArray());
            yield return new("PUT", "/data/trailer", [("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"), ("x-amz-trailer", "x-amz-checksum-crc32")], "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"u8.ToArray());
            yield return new("PUT", "/data/copy", [("x-amz-copy-source", "/data/clicks/2026/a.jsonl")], []);
            yield return new("PUT", "/data/k", [("If-None-Match", "*"), ("If-Match", "\"5d41402abc4b2a76b9719d911017c592\"")], "x"u8.ToArray());
            yield return new("GET", "/data/clicks/2026/a.jsonl", [("Range", "bytes=1-3")], []);
            yield return new("HEAD", "/data/link/x", [], []);
            yield return new("GET", "/data?list-type=2&prefix=clicks/&max-keys=1&continuation-token=Y2xpY2tz", [], []);
            yield return new("POST", "/data/big?uploads", [], []);
            yield return new("PUT", $"/data/big?partNumber=1&uploadId={Upload}", [], "hello"u8.ToArray());
            yield return new("POST", $"/data/big?uploadId={Upload}", [("Content-Type", "application/xml")], "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"5d41402abc4b2a76b9719d911017c592\"</ETag></Part></CompleteMultipartUpload>"u8.ToArray());
            yield return new("DELETE", $"/data/big?uploadId={Upload}", [], []);
            yield return new("DELETE", "/data/clicks/2026/a.jsonl", [], []);
        }
    }

    /// <summary>A request's parts, framed as HTTP/1.1 with a Host and a true Content-Length.</summary>
    public sealed record RawRequest(string Method, string Target, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
    {
        public byte[] Frame(bool withLength = true) =>
        [
            .. Encoding.Latin1.GetBytes($"{Method} {Target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{string.Concat(Headers.Select(h => $"{h.Name}: {h.Value}\r\n"))}{(withLength ? $"Content-Length: {Body.Length}\r\n" : string.Empty)}\r\n"),
            .. Body,
        ];
    }

    private sealed class RecordingFunction : ILambdaInvoker
    {
        public const string Answer = "ok";

        public Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
            Task.FromResult(new LambdaInvocationResult(200, "{\"statusCode\":200,\"headers\":{\"Content-Type\":\"text/plain\"},\"body\":\"ok\"}"u8.ToArray(), null, "id"));
    }
}
