using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace StreamFunctions.Local.Lambda;

/// <summary>The loopback HTTP servers' common part (Runtime API, Function URL, folder S3): binding a free port and serving requests.</summary>
public static class LoopbackHttp
{
    /// <summary>
    /// Starts a listener on a free 127.0.0.1 port, trying another when one is taken between probing and binding
    /// (with a new listener: one whose start failed is closed).
    /// </summary>
    /// <param name="port">The port.</param>
    /// <returns>The started listener.</returns>
    public static HttpListener Start(out int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return listener;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Taken between probing and binding: another port.
                listener.Close();
            }
        }
    }

    /// <summary>
    /// The largest unread request body left for HttpListener to drain when the response closes (it reads the rest of a
    /// body, 2 KB at a time, to keep the connection): a larger body, or one of unknown length, closes the connection
    /// after the response instead, so a refused 400 MB upload costs no more than its headers.
    /// </summary>
    public const long DrainBytes = 64L * 1024 * 1024;

    /// <summary>
    /// How many requests one server handles at once: the next is accepted when one ends (until then it waits in the
    /// listener's queue). Each holds at most its bounded body (6 MB for the Lambda servers; the folder S3 store streams
    /// to disk), so a flood of requests costs waiting, not memory; far above what the local pipeline runs at once.
    /// </summary>
    public const int MaxConcurrentRequests = 64;

    /// <summary>Serves each request on its own task, at most <paramref name="maxConcurrent"/> at once, until the listener is closed or <paramref name="stop"/> is cancelled.</summary>
    /// <param name="listener">The started listener.</param>
    /// <param name="handle">Handles one request (and closes its response); it answers every failure itself.</param>
    /// <param name="log">Where a failure that escaped <paramref name="handle"/> is written.</param>
    /// <param name="maxConcurrent">How many requests are handled at once.</param>
    /// <param name="stop">Stops accepting.</param>
    /// <returns>A task that ends when the listener stops.</returns>
    public static async Task ServeAsync(HttpListener listener, Func<HttpListenerContext, Task> handle, TextWriter log, int maxConcurrent, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        // Not disposed: handlers still running when the loop ends release their slot later (SemaphoreSlim holds no
        // handle unless AvailableWaitHandle is used), and stopping does not wait for them.
        var slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                await slots.WaitAsync(stop).ConfigureAwait(false);
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                return;
            }

            if (context.Request.HasEntityBody && context.Request.ContentLength64 is < 0 or > DrainBytes)
            {
                context.Response.KeepAlive = false;
            }

            _ = Task.Run(() => HandleAsync(context, handle, log, slots), CancellationToken.None);
        }
    }

    // The last line of defence: a failure the handler did not answer is logged and answered 500 (HttpListener's Abort
    // would send the default 200 before closing); if the response had started, the connection is closed short of its
    // Content-Length, which the client sees as a failed request.
    private static async Task HandleAsync(HttpListenerContext context, Func<HttpListenerContext, Task> handle, TextWriter log, SemaphoreSlim slots)
    {
        try
        {
            if (!IsLoopbackHost(context.Request.Headers["Host"]))
            {
                await RefuseAsync(context, 421, $"The Host header '{context.Request.Headers["Host"]}' does not name a loopback server (127.0.0.1, localhost or [::1]): refused, as a request a web page makes through DNS rebinding would be.").ConfigureAwait(false);
                return;
            }

            if (IsFromABrowser(context.Request.Headers))
            {
                await RefuseAsync(context, 403, "This request comes from a web page (it carries Origin, or Sec-Fetch-Site of another site): no local server here serves web pages, so a page cannot make a request in a local program's place.").ConfigureAwait(false);
                return;
            }

            await handle(context).ConfigureAwait(false);
        }
        catch (ResponseWriteTimeoutException)
        {
            // A client that stopped reading: its connection is already aborted.
        }
        catch (Exception e)
        {
            Log(log, $"{context.Request.HttpMethod} {context.Request.RawUrl} failed outside its handler (answered 500)", e);
            CloseFailed(context.Response, 500);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Whether a request's <c>Host</c> names a loopback server as a local client would: <c>127.0.0.1</c>,
    /// <c>localhost</c>, a <c>*.localhost</c> name (RFC 6761: always loopback) or <c>[::1]</c>, with any port (a local
    /// proxy in front of a server, the tests' fault proxy say, sends its own). A web page that reaches 127.0.0.1 by DNS
    /// rebinding sends its own host name (<c>evil.example:PORT</c>): refused, so a page can never read or write what a
    /// local server holds. HttpListener already answers 4xx for a name its prefix lacks; this says it where the servers
    /// handle requests, whatever their prefix. A request without a <c>Host</c> (HTTP/1.0) is no browser's.
    /// </summary>
    /// <param name="host">The <c>Host</c> header, if any.</param>
    /// <returns>Whether the request may be served.</returns>
    public static bool IsLoopbackHost(string? host)
    {
        if (host is null)
        {
            return true;
        }

        var colon = host.LastIndexOf(':');
        var (name, port) = colon > host.LastIndexOf(']') ? (host[..colon], host[(colon + 1)..]) : (host, "0");
        return int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number <= 65535
            && (name is "127.0.0.1" or "[::1]" || name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Whether a request was made by a web page: browsers send <c>Origin</c> with every cross-origin request and every
    /// POST, and <c>Sec-Fetch-Site</c> (<c>cross-site</c>, <c>same-site</c>) with every request a page makes; no SDK,
    /// CLI or runtime sends them (Node's fetch sends <c>Sec-Fetch-Mode</c> only, which is not looked at; a URL typed
    /// into the address bar is <c>Sec-Fetch-Site: none</c>, allowed). A page on any site may send a "simple" request (a
    /// form's POST, say) to 127.0.0.1 without asking first; refusing pages keeps one from starting an upload or a
    /// write in the folder S3 store, or a Gateway call.
    /// </summary>
    /// <param name="headers">The request's headers.</param>
    /// <returns>Whether a web page made it.</returns>
    public static bool IsFromABrowser(System.Collections.Specialized.NameValueCollection headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return headers["Origin"] is not null || headers["Sec-Fetch-Site"] is { } site && site is not ("none" or "same-origin");
    }

    // A stranger's request (another host name, a browser) is answered at once, without reading its body, and its
    // connection closed: it holds one of the server's slots for no longer than the answer takes.
    private static async Task RefuseAsync(HttpListenerContext context, int status, string message)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(message + "\n");
        try
        {
            context.Response.KeepAlive = false;
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.Response.ContentLength64 = body.Length;
            await WritePacedAsync(context.Response, body, 0, Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            context.Response.Abort();
        }
    }

    /// <summary>
    /// Writes part of a response at a pace a live client keeps (by reading): no more than <paramref name="idleTimeout"/>
    /// for any 64 KiB, and once <paramref name="idleTimeout"/> has passed since <paramref name="startedAt"/>, at least
    /// <see cref="MinBodyBytesPerSecond"/> on average. A client that stops reading a 6 MB event or a 5 GiB object would
    /// otherwise hold its request's slot for as long as it likes; it is cut off instead (the connection aborted).
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="data">The bytes.</param>
    /// <param name="sent">How many bytes of the body were written before this call.</param>
    /// <param name="startedAt">When writing the body began (<see cref="Stopwatch.GetTimestamp"/>).</param>
    /// <param name="idleTimeout">How long the client may go without taking 64 KiB.</param>
    /// <returns>A task.</returns>
    /// <exception cref="ResponseWriteTimeoutException">The client fell behind; the connection was aborted.</exception>
    public static async ValueTask WritePacedAsync(HttpListenerResponse response, ReadOnlyMemory<byte> data, long sent, long startedAt, TimeSpan idleTimeout)
    {
        ArgumentNullException.ThrowIfNull(response);
        for (var at = 0; at < data.Length;)
        {
            if (FellBehind(sent + at, startedAt, idleTimeout) is { } elapsed)
            {
                response.Abort();
                throw new ResponseWriteTimeoutException($"The client read the response too slowly: {sent + at} bytes in {elapsed.TotalSeconds:0.#} s, under {MinBodyBytesPerSecond / 1024} KiB a second on average after the first {idleTimeout.TotalSeconds:0.#} s.");
            }

            var chunk = data.Slice(at, Math.Min(64 * 1024, data.Length - at));
            if (!await EndsWithinAsync(response.OutputStream.WriteAsync(chunk).AsTask(), idleTimeout).ConfigureAwait(false))
            {
                response.Abort();
                throw new ResponseWriteTimeoutException($"The client stopped reading the response: nothing taken for {idleTimeout.TotalSeconds:0.#} s after {sent + at} bytes.");
            }

            at += chunk.Length;
        }
    }

    /// <summary>
    /// Reads and discards what is left of a request's body (at most <see cref="DrainBytes"/>, for at most
    /// <paramref name="timeout"/> and no more than a second without data) before a refusal is sent: HttpListener closes the connection after an error status,
    /// and closing with unread bytes resets it, so a client still sending would lose the answer. A body declared larger
    /// is not read: its client gets the answer if it reads before it has sent everything, as a reset otherwise.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="timeout">How long a slow client is waited for.</param>
    /// <returns>A task that ends when the body was read or given up on.</returns>
    public static async Task DrainAsync(HttpListenerRequest request, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasEntityBody || request.ContentLength64 > DrainBytes || Abandoned.TryGetValue(request, out _))
        {
            return;
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            long drained = 0;
            int read;
            while (drained <= DrainBytes && (read = await request.InputStream.ReadAsync(buffer.AsMemory(0, 64 * 1024), deadline.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(1), deadline.Token).ConfigureAwait(false)) > 0)
            {
                drained += read;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or IOException or HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // Given up on (slow, gone, or already read to its end): the answer is sent anyway and the connection closed.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// How long a request body may go without a byte before it is given up on (<see cref="RequestBodyTimeoutException"/>),
    /// and how long it may take before it must keep the pace of <see cref="MinBodyBytesPerSecond"/> on average: a slow
    /// client (a byte every few seconds) would otherwise hold one of the <see cref="MaxConcurrentRequests"/> slots for as
    /// long as it likes, and 64 of them would shut a server out. Loopback clients send megabytes a millisecond.
    /// </summary>
    public static readonly TimeSpan DefaultBodyIdleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The slowest average pace a body may arrive at once <see cref="DefaultBodyIdleTimeout"/> has passed: 64 KiB a second.</summary>
    public const int MinBodyBytesPerSecond = 64 * 1024;

    // Requests whose body read was given up on while a read was still pending: nothing reads them again (a second read on
    // HttpListener's stream beside the pending one is not allowed), and their connection is closed after the answer.
    private static readonly ConditionalWeakTable<HttpListenerRequest, object> Abandoned = [];

    /// <summary>
    /// Reads the next part of a request's body at a pace a live client keeps: no more than <paramref name="idleTimeout"/>
    /// without a byte, and once <paramref name="idleTimeout"/> has passed since <paramref name="startedAt"/>, at least
    /// <see cref="MinBodyBytesPerSecond"/> on average. A body that falls behind is given up on: the request is marked so
    /// that nothing reads it again (<see cref="DrainAsync"/> returns at once) and its connection is closed after the answer.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="buffer">Where the bytes go.</param>
    /// <param name="received">How many bytes of the body were read before this call.</param>
    /// <param name="startedAt">When reading the body began (<see cref="Stopwatch.GetTimestamp"/>).</param>
    /// <param name="idleTimeout">How long a body may go without a byte (<see cref="DefaultBodyIdleTimeout"/> in the servers).</param>
    /// <param name="response">The request's response: no longer kept alive once its body was given up on.</param>
    /// <returns>The count of bytes read; 0 at the body's end.</returns>
    /// <exception cref="RequestBodyTimeoutException">The body fell behind.</exception>
    public static async ValueTask<int> ReadPacedAsync(HttpListenerRequest request, Memory<byte> buffer, long received, long startedAt, TimeSpan idleTimeout, HttpListenerResponse? response = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (FellBehind(received, startedAt, idleTimeout) is { } elapsed)
        {
            throw GiveUp(request, response, $"The request body arrived too slowly: {received} bytes in {elapsed.TotalSeconds:0.#} s, under {MinBodyBytesPerSecond / 1024} KiB a second on average after the first {idleTimeout.TotalSeconds:0.#} s.");
        }

        var read = request.InputStream.ReadAsync(buffer).AsTask();
        return await EndsWithinAsync(read, idleTimeout).ConfigureAwait(false)
            ? await read.ConfigureAwait(false)
            : throw GiveUp(request, response, $"The request body stopped: no byte for {idleTimeout.TotalSeconds:0.#} s after {received} bytes.");
    }

    // The pace a body must keep, read or written: once idleTimeout has passed since it began, MinBodyBytesPerSecond on
    // average. The time elapsed when it fell behind, or null.
    private static TimeSpan? FellBehind(long bytes, long startedAt, TimeSpan idleTimeout)
    {
        var elapsed = Stopwatch.GetElapsedTime(startedAt);
        return elapsed > idleTimeout && bytes < (elapsed - idleTimeout).TotalSeconds * MinBodyBytesPerSecond ? elapsed : null;
    }

    // Whether a read or write of a body ends within idleTimeout (its failure, if any, is thrown). One that does not
    // stays pending until the connection closes: its failure then is observed here, never left unobserved.
    private static async ValueTask<bool> EndsWithinAsync(Task io, TimeSpan idleTimeout)
    {
        try
        {
            await io.WaitAsync(idleTimeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            _ = io.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return false;
        }
    }

    private static RequestBodyTimeoutException GiveUp(HttpListenerRequest request, HttpListenerResponse? response, string message)
    {
        Abandoned.AddOrUpdate(request, Abandoned);
        if (response is not null)
        {
            response.KeepAlive = false;
        }

        return new RequestBodyTimeoutException(message);
    }

    /// <summary>A request's body in memory, read to one byte past <paramref name="max"/> and no further.</summary>
    /// <param name="request">The request.</param>
    /// <param name="max">The largest body accepted.</param>
    /// <param name="response">The request's response: no longer kept alive if the body is given up on.</param>
    /// <param name="idleTimeout">How long the body may go without a byte; <see cref="DefaultBodyIdleTimeout"/> when null.</param>
    /// <returns>The body; null when it is larger than <paramref name="max"/> (a Content-Length over it is not read at all).</returns>
    /// <exception cref="EndOfStreamException">The body ended before its Content-Length.</exception>
    /// <exception cref="RequestBodyTimeoutException">The body arrived too slowly (see <see cref="ReadPacedAsync"/>).</exception>
    public static async Task<byte[]?> ReadBodyAsync(HttpListenerRequest request, int max, HttpListenerResponse? response = null, TimeSpan? idleTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength64 > max)
        {
            return null;
        }

        if (!request.HasEntityBody)
        {
            return [];
        }

        var buffer = new byte[request.ContentLength64 is >= 0 and var length ? (int)length + 1 : max + 1];
        var filled = 0;
        var startedAt = Stopwatch.GetTimestamp();
        var idle = idleTimeout ?? DefaultBodyIdleTimeout;
        int read;
        try
        {
            while (filled < buffer.Length && (read = await ReadPacedAsync(request, buffer.AsMemory(filled), filled, startedAt, idle, response).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }
        }
        catch (HttpListenerException e)
        {
            // HttpListener's own word for a body that broke off (the client closed its side, or went away).
            throw new EndOfStreamException($"The request body broke off after {filled} bytes: {e.Message}", e);
        }

        if (request.ContentLength64 > filled)
        {
            throw new EndOfStreamException($"The request body ended after {filled} of the {request.ContentLength64} bytes its Content-Length announced.");
        }

        return filled > max ? null : buffer[..filled];
    }

    /// <summary>
    /// Ends a response whose request failed without an answer of its own (the client went away or its body broke off,
    /// or the handler failed): the status without a body if nothing was sent yet (HttpListener's Abort would send its
    /// default 200 first); otherwise the connection is closed short of the length already sent, a failed request to the client.
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="status">The status, e.g. 400.</param>
    public static void CloseFailed(HttpListenerResponse response, int status)
    {
        ArgumentNullException.ThrowIfNull(response);
        try
        {
            response.StatusCode = status;
            response.ContentLength64 = 0;
            response.Close();
        }
        catch (Exception e) when (e is InvalidOperationException or HttpListenerException or ObjectDisposedException or IOException)
        {
            response.Abort();
        }
    }

    /// <summary>Writes one failure (what, then the exception) to a log shared by a server's requests.</summary>
    /// <param name="log">The log.</param>
    /// <param name="what">What failed.</param>
    /// <param name="error">The exception.</param>
    public static void Log(TextWriter log, string what, Exception error)
    {
        ArgumentNullException.ThrowIfNull(log);
        lock (log)
        {
            log.WriteLine($"{what}: {error}");
        }
    }
}

/// <summary>A client that read its response too slowly (see <see cref="LoopbackHttp.WritePacedAsync"/>): its connection was aborted.</summary>
public sealed class ResponseWriteTimeoutException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ResponseWriteTimeoutException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What fell behind.</param>
    public ResponseWriteTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What fell behind.</param>
    /// <param name="innerException">The cause.</param>
    public ResponseWriteTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A request body that arrived too slowly and was given up on (see <see cref="LoopbackHttp.ReadPacedAsync"/>): its server answers it as a timeout and closes the connection.</summary>
public sealed class RequestBodyTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public RequestBodyTimeoutException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What fell behind.</param>
    public RequestBodyTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What fell behind.</param>
    /// <param name="innerException">The cause.</param>
    public RequestBodyTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
