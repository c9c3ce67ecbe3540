using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using StreamFunctions.Lambda.Invocation;
using StreamFunctions.Lambda.Runtime;

namespace StreamFunctions.Lambda.Local;

/// <summary>
/// The Lambda Runtime API on a loopback port, as Lambda serves it to a custom runtime: invocations are
/// queued and handed out by <c>next</c> with the request id, deadline, function ARN and trace headers;
/// <c>response</c>, <c>error</c> and <c>init/error</c> complete them. Enforces Lambda's 6 MB request
/// and response limits and the function timeout ("Task timed out after N.NN seconds").
/// </summary>
public sealed class LocalRuntimeApiServer : IAsyncDisposable
{
    /// <summary>Lambda's synchronous invocation payload limit, request and response: 6 MB.</summary>
    public const int MaxPayloadBytes = 6 * 1024 * 1024;

    private const string Prefix = "/2018-06-01/runtime/";
    private HttpListener? _listener;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly ConcurrentDictionary<string, Pending> _inFlight = new(StringComparer.Ordinal);
    private readonly LocalFunctionOptions _function;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Creates the server; <see cref="Start"/> binds it.</summary>
    /// <param name="function">The function's name, timeout and account, as the headers report them.</param>
    /// <param name="time">The clock for deadlines.</param>
    public LocalRuntimeApiServer(LocalFunctionOptions? function = null, TimeProvider? time = null)
    {
        _function = function ?? new LocalFunctionOptions();
        _function.Validate();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The <c>AWS_LAMBDA_RUNTIME_API</c> value for the function: <c>127.0.0.1:port</c>.</summary>
    public string RuntimeApi { get; private set; } = string.Empty;

    /// <summary>The last init error the function reported, if any.</summary>
    public string? InitError { get; private set; }

    /// <summary>Raised when the function reports an init error.</summary>
    public event EventHandler? InitErrorReported;

    /// <summary>Binds a free loopback port and starts serving.</summary>
    public void Start()
    {
        var listener = LoopbackHttp.Start(out var port);
        _listener = listener;
        RuntimeApi = $"127.0.0.1:{port}";
        _loop = Task.Run(() => LoopbackHttp.ServeAsync(listener, HandleAsync, TextWriter.Null, _stop.Token));
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
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _queue.Writer.TryComplete();
        _listener?.Close();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException)
            {
                // Closing the listener ends the accept loop.
            }
        }

        _stop.Dispose();
        FailAll("Runtime.Stopped", "The local Runtime API server stopped.");
    }

    private static byte[] ErrorJson(string type, string message) => new LambdaError(type, message, []).ToJson();

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var path = request.Url?.AbsolutePath ?? string.Empty;
            if (!path.StartsWith(Prefix, StringComparison.Ordinal))
            {
                await RespondAsync(response, 404, "{\"errorMessage\":\"unknown path\",\"errorType\":\"InvalidRequestException\"}").ConfigureAwait(false);
                return;
            }

            var route = path[Prefix.Length..];
            if (request.HttpMethod == "GET" && route == "invocation/next")
            {
                await NextAsync(response).ConfigureAwait(false);
            }
            else if (request.HttpMethod == "POST" && route == "init/error")
            {
                InitError = await ReadBodyAsync(request).ConfigureAwait(false) is var body ? Encoding.UTF8.GetString(body) : null;
                InitErrorReported?.Invoke(this, EventArgs.Empty);
                FailAll(request.Headers["Lambda-Runtime-Function-Error-Type"] ?? "Runtime.InitError", "The function reported an init error: " + InitError);
                await RespondAsync(response, 202, "{\"status\":\"OK\"}").ConfigureAwait(false);
            }
            else if (request.HttpMethod == "POST" && route.StartsWith("invocation/", StringComparison.Ordinal))
            {
                var parts = route.Split('/');
                if (parts.Length != 3 || !_inFlight.TryRemove(parts[1], out var pending))
                {
                    await RespondAsync(response, 400, "{\"errorMessage\":\"unknown or finished request id\",\"errorType\":\"InvalidRequestID\"}").ConfigureAwait(false);
                    return;
                }

                var body = await ReadBodyAsync(request).ConfigureAwait(false);
                switch (parts[2])
                {
                    case "response" when body.Length > MaxPayloadBytes:
                        pending.Result.TrySetResult(new LambdaInvocationResult(200, ErrorJson("Function.ResponseSizeTooLarge", $"Response payload size exceeded maximum allowed payload size ({MaxPayloadBytes} bytes)."), "Unhandled", pending.RequestId));
                        await RespondAsync(response, 413, "{\"errorMessage\":\"response too large\",\"errorType\":\"RequestEntityTooLarge\"}").ConfigureAwait(false);
                        break;
                    case "response":
                        pending.Result.TrySetResult(new LambdaInvocationResult(200, body, null, pending.RequestId));
                        await RespondAsync(response, 202, "{\"status\":\"OK\"}").ConfigureAwait(false);
                        break;
                    case "error":
                        pending.Result.TrySetResult(new LambdaInvocationResult(200, body, "Unhandled", pending.RequestId));
                        await RespondAsync(response, 202, "{\"status\":\"OK\"}").ConfigureAwait(false);
                        break;
                    default:
                        _inFlight.TryAdd(pending.RequestId, pending);
                        await RespondAsync(response, 404, "{\"errorMessage\":\"unknown path\",\"errorType\":\"InvalidRequestException\"}").ConfigureAwait(false);
                        break;
                }
            }
            else
            {
                await RespondAsync(response, 404, "{\"errorMessage\":\"unknown path\",\"errorType\":\"InvalidRequestException\"}").ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The function went away mid-request: its invocation is failed by the invoker.
        }
    }

    private async Task NextAsync(HttpListenerResponse response)
    {
        Pending pending;
        do
        {
            pending = await _queue.Reader.ReadAsync(_stop.Token).ConfigureAwait(false);
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
        await response.OutputStream.WriteAsync(pending.Payload).ConfigureAwait(false);
        response.Close();
    }

    private static async Task<byte[]> ReadBodyAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static async Task RespondAsync(HttpListenerResponse response, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        response.Close();
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
