using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Local.Lambda;

/// <summary>
/// The Lambda Runtime API on a loopback port, as Lambda serves it to a custom runtime: invocations are
/// queued and handed out by <c>next</c> with the request id, deadline, function ARN and trace headers;
/// <c>response</c>, <c>error</c> and <c>init/error</c> complete them. Enforces Lambda's 6 MB request
/// and response limits and the function timeout ("Task timed out after N.NN seconds").
/// </summary>
/// <remarks>
/// It is the function's own: <see cref="RuntimeApi"/> carries a path prefix of 128 random bits, and a request that
/// does not start with it is refused (403) whatever it asks, so another local process can neither read the next
/// event (and the API key in it) nor answer in the function's place. Bodies the function posts are read to one
/// byte past 6 MB and no further.
/// </remarks>
public sealed class LocalRuntimeApiServer : LoopbackHttpServer
{
    /// <summary>Lambda's synchronous invocation payload limit, request and response: 6 MB.</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly ConcurrentDictionary<string, Pending> _inFlight = new(StringComparer.Ordinal);
    private readonly LocalFunctionOptions _function;
    private readonly TimeProvider _time;

    // 16 bytes from the system's CSPRNG, in hex: a path segment no other process can guess (2^128 choices).
    private readonly byte[] _prefix = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    /// <summary>Creates the server; <see cref="Start"/> binds it.</summary>
    /// <param name="function">The function's name, timeout and account, as the headers report them.</param>
    /// <param name="time">The clock for deadlines.</param>
    /// <param name="log">Where failures of the server itself are written; <see cref="Console.Error"/> when null.</param>
    public LocalRuntimeApiServer(LocalFunctionOptions? function = null, TimeProvider? time = null, TextWriter? log = null)
        : base(log)
    {
        _function = function ?? new LocalFunctionOptions();
        _function.Validate();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The <c>AWS_LAMBDA_RUNTIME_API</c> value for the function: <c>127.0.0.1:port/prefix</c>, once started.</summary>
    public string RuntimeApi { get; private set; } = string.Empty;

    /// <summary>The last init error the function reported, if any.</summary>
    public string? InitError { get; private set; }

    /// <summary>Raised when the function reports an init error.</summary>
    public event EventHandler? InitErrorReported;

    /// <summary>Binds a free loopback port and starts serving.</summary>
    public void Start()
    {
        RuntimeApi = $"127.0.0.1:{Listen()}/{Encoding.ASCII.GetString(_prefix)}";
    }

    /// <summary>Queues an invocation and waits for the function's response, error or timeout.</summary>
    /// <param name="payload">The event.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <returns>The result, as Lambda's Invoke returns it (FunctionError "Unhandled" on errors and timeouts).</returns>
    public async Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var requestId = Guid.NewGuid().ToString();
        if (payload.Length > MaxPayloadBytes)
        {
            return new LambdaInvocationResult(413, ErrorJson("RequestEntityTooLargeException", $"Request must be smaller than {MaxPayloadBytes} bytes for the InvokeFunction operation"), "Unhandled", requestId);
        }

        var pending = new Pending(requestId, payload, _time.GetUtcNow() + _function.Timeout);
        await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(_function.Timeout + TimeSpan.FromMilliseconds(500), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            return await pending.Result.Task.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _inFlight.TryRemove(requestId, out _);
            pending.Abandon();
            var seconds = _function.Timeout.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
            return new LambdaInvocationResult(200, ErrorJson("Sandbox.Timedout", $"{_time.GetUtcNow():yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {requestId} Task timed out after {seconds} seconds"), "Unhandled", requestId);
        }
    }

    /// <summary>Fails every queued and running invocation (the function process exited or was restarted).</summary>
    /// <param name="errorType">e.g. <c>Runtime.ExitError</c>.</param>
    /// <param name="message">What happened.</param>
    public void FailAll(string errorType, string message)
    {
        // Queued invocations too: a function that cannot start will never ask for them.
        while (_queue.Reader.TryRead(out var queued))
        {
            queued.Result.TrySetResult(new LambdaInvocationResult(200, ErrorJson(errorType, $"RequestId: {queued.RequestId} Error: {message}"), "Unhandled", queued.RequestId));
        }

        foreach (var (id, pending) in _inFlight)
        {
            if (_inFlight.TryRemove(id, out _))
            {
                pending.Result.TrySetResult(new LambdaInvocationResult(200, ErrorJson(errorType, $"RequestId: {id} Error: {message}"), "Unhandled", id));
            }
        }
    }

    /// <inheritdoc />
    protected override ValueTask OnStoppedAsync()
    {
        _queue.Writer.TryComplete();
        FailAll("Runtime.Stopped", "The local Runtime API server stopped.");
        return ValueTask.CompletedTask;
    }

    private static byte[] ErrorJson(string type, string message) => new LambdaError(type, message, []).ToJson();

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var route = RuntimeApiRoute.Parse(request.HttpMethod, request.RawUrl ?? "/", _prefix);
            switch (route.Kind)
            {
                case RuntimeApiRouteKind.Forbidden:
                    // A stranger's request: answered at once, its body unread and its connection closed, so that
                    // requests without the prefix cannot keep the function's own calls waiting for a slot.
                    response.KeepAlive = false;
                    await RespondAsync(request, response, 403, Error("AccessDeniedException", "This Runtime API belongs to one function: a request must start with the path prefix given in AWS_LAMBDA_RUNTIME_API (127.0.0.1:port/prefix)."), drain: false).ConfigureAwait(false);
                    break;
                case RuntimeApiRouteKind.NotFound:
                    await RespondAsync(request, response, 404, Error("InvalidRequestException", $"Unknown path: {request.HttpMethod} is not a Runtime API call there.")).ConfigureAwait(false);
                    break;
                case RuntimeApiRouteKind.Next:
                    await NextAsync(response).ConfigureAwait(false);
                    break;
                case RuntimeApiRouteKind.InitError:
                    var report = await LoopbackHttp.ReadBodyAsync(request, MaxPayloadBytes, response, BodyIdleTimeout).ConfigureAwait(false);
                    InitError = report is null ? $"(an init error document of over {MaxPayloadBytes} bytes)" : Encoding.UTF8.GetString(report);
                    InitErrorReported?.Invoke(this, EventArgs.Empty);
                    FailAll(request.Headers["Lambda-Runtime-Function-Error-Type"] ?? "Runtime.InitError", "The function reported an init error: " + InitError);
                    await RespondAsync(request, response, report is null ? 413 : 202, report is null ? TooLarge() : Accepted).ConfigureAwait(false);
                    break;
                default:
                    await CompleteAsync(request, response, route).ConfigureAwait(false);
                    break;
            }
        }
        catch (RequestBodyTimeoutException e)
        {
            // Sent too slowly (the invocation stays in flight: the function may post its result again).
            await RespondAsync(request, response, 408, Error("InvalidRequestException", e.Message)).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            await RespondAsync(request, response, 400, Error("InvalidRequestException", e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The function went away mid-request (its invocation is failed by the invoker); if it still listens, a 400.
            LoopbackHttp.CloseFailed(response, 400);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // Stopping while the function waited for its next invocation: there will be none.
            await RespondAsync(request, response, 503, Error("Runtime.Stopped", "The local Runtime API server stopped.")).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Unexpected: logged and answered, never left as the empty 200 an unanswered response would be.
            LoopbackHttp.Log(Log, $"LocalRuntimeApiServer: {request.HttpMethod} failed (answered 500)", e);
            await RespondAsync(request, response, 500, Error("ServiceException", "The local Runtime API failed; see its log.")).ConfigureAwait(false);
        }
    }

    // response or error: the invocation's result, from a body of at most 6 MB. The invocation stays in flight until its
    // body has arrived whole (one that ends early is a 400, and the function may post again).
    private async Task CompleteAsync(HttpListenerRequest request, HttpListenerResponse response, RuntimeApiRoute route)
    {
        var body = _inFlight.ContainsKey(route.RequestId!) ? await LoopbackHttp.ReadBodyAsync(request, MaxPayloadBytes, response, BodyIdleTimeout).ConfigureAwait(false) : [];
        if (!_inFlight.TryRemove(route.RequestId!, out var pending))
        {
            await RespondAsync(request, response, 400, Error("InvalidRequestID", "Unknown or finished request id.")).ConfigureAwait(false);
            return;
        }

        if (body is null)
        {
            pending.Result.TrySetResult(new LambdaInvocationResult(200, ErrorJson("Function.ResponseSizeTooLarge", $"Response payload size exceeded maximum allowed payload size ({MaxPayloadBytes} bytes)."), "Unhandled", pending.RequestId));
            await RespondAsync(request, response, 413, TooLarge()).ConfigureAwait(false);
            return;
        }

        pending.Result.TrySetResult(new LambdaInvocationResult(200, body, route.Kind == RuntimeApiRouteKind.Error ? "Unhandled" : null, pending.RequestId));
        await RespondAsync(request, response, 202, Accepted).ConfigureAwait(false);
    }

    private async Task NextAsync(HttpListenerResponse response)
    {
        Pending pending;
        do
        {
            pending = await _queue.Reader.ReadAsync(Stopping).ConfigureAwait(false);
        }
        while (pending.IsAbandoned);

        _inFlight[pending.RequestId] = pending;
        response.Headers["Lambda-Runtime-Aws-Request-Id"] = pending.RequestId;
        response.Headers["Lambda-Runtime-Deadline-Ms"] = pending.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = $"arn:aws:lambda:{_function.Region}:{_function.AccountId}:function:{_function.FunctionName}";
        response.Headers["Lambda-Runtime-Trace-Id"] = $"Root=1-{_time.GetUtcNow().ToUnixTimeSeconds():x8}-{Guid.NewGuid().ToString("N")[..24]};Parent={Guid.NewGuid().ToString("N")[..16]};Sampled=0";
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.ContentLength64 = pending.Payload.Length;
        await LoopbackHttp.WritePacedAsync(response, pending.Payload, 0, System.Diagnostics.Stopwatch.GetTimestamp(), BodyIdleTimeout).ConfigureAwait(false);
        response.Close();
    }

    private static readonly byte[] Accepted = "{\"status\":\"OK\"}"u8.ToArray();

    private static byte[] TooLarge() => Error("RequestEntityTooLarge", $"Exceeded maximum allowed payload size ({MaxPayloadBytes} bytes).");

    // The Runtime API's error body: {"errorMessage": ..., "errorType": ...}.
    private static byte[] Error(string type, string message)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("errorMessage", message);
            writer.WriteString("errorType", type);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // One answer; what is left of a small body is read first, so a runtime still sending gets it. If even that fails after
    // the answer started, the connection is closed short of its length (a failed request to the runtime).
    private static async Task RespondAsync(HttpListenerRequest request, HttpListenerResponse response, int status, byte[] json, bool drain = true)
    {
        try
        {
            if (status >= 400 && drain)
            {
                await LoopbackHttp.DrainAsync(request, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }

            response.StatusCode = status;
            response.ContentType = "application/json";
            response.ContentLength64 = json.Length;
            await response.OutputStream.WriteAsync(json).ConfigureAwait(false);
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            LoopbackHttp.CloseFailed(response, status);
        }
    }

    private sealed class Pending(string requestId, ReadOnlyMemory<byte> payload, DateTimeOffset deadline)
    {
        private int _abandoned;

        public string RequestId { get; } = requestId;

        public ReadOnlyMemory<byte> Payload { get; } = payload;

        public DateTimeOffset Deadline { get; } = deadline;

        public TaskCompletionSource<LambdaInvocationResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsAbandoned => Volatile.Read(ref _abandoned) == 1;

        public void Abandon() => Interlocked.Exchange(ref _abandoned, 1);
    }
}
