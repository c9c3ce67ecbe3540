using System.Net;

namespace StreamFunctions.Local.Lambda;

/// <summary>A loopback HTTP server: binds a free 127.0.0.1 port, serves requests on their own tasks (a bounded number at once), stops on dispose.</summary>
public abstract class LoopbackHttpServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private HttpListener? _listener;
    private Task? _loop;

    private readonly int _maxConcurrentRequests;

    /// <summary>Creates the server.</summary>
    /// <param name="log">Where failures inside the server are written; <see cref="Console.Error"/> when null.</param>
    /// <param name="maxConcurrentRequests">How many requests it handles at once.</param>
    protected LoopbackHttpServer(TextWriter? log = null, int maxConcurrentRequests = LoopbackHttp.MaxConcurrentRequests)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentRequests, 1);
        Log = log ?? Console.Error;
        _maxConcurrentRequests = maxConcurrentRequests;
    }

    /// <summary>How long a request body may go without a byte (and then keep <see cref="LoopbackHttp.MinBodyBytesPerSecond"/> on average) before it is answered as a timeout; <see cref="LoopbackHttp.DefaultBodyIdleTimeout"/> unless set.</summary>
    public TimeSpan BodyIdleTimeout
    {
        get;
        init => field = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "BodyIdleTimeout must be positive.");
    } = LoopbackHttp.DefaultBodyIdleTimeout;

    /// <summary>Where failures inside the server are written (a 500 it answered, a request it could not).</summary>
    protected TextWriter Log { get; }

    /// <summary>The port, once started.</summary>
    protected int Port { get; private set; }

    /// <summary>Cancelled when the server stops.</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            _listener?.Close();
        }
        catch (Exception e) when (e is NullReferenceException or ObjectDisposedException or HttpListenerException)
        {
            // The managed HttpListener can fail closing a connection whose response is still being written (a client
            // killed mid-exchange): the listener is closed regardless, and that connection is abandoned as intended.
        }
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        await OnStoppedAsync().ConfigureAwait(false);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>What a server releases once it no longer accepts requests.</summary>
    /// <returns>A task.</returns>
    protected virtual ValueTask OnStoppedAsync() => ValueTask.CompletedTask;

    /// <summary>Binds a free port and starts serving.</summary>
    /// <returns>The port.</returns>
    protected int Listen()
    {
        var listener = LoopbackHttp.Start(out var port);
        (_listener, Port) = (listener, port);
        _loop = Task.Run(() => LoopbackHttp.ServeAsync(listener, HandleAsync, Log, _maxConcurrentRequests, _stop.Token));
        return Port;
    }

    /// <summary>Handles one request and closes its response.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    protected abstract Task HandleAsync(HttpListenerContext context);
}
