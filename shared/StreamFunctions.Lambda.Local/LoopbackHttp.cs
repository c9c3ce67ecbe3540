using System.Net;
using System.Net.Sockets;

namespace StreamFunctions.Lambda.Local;

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

    /// <summary>Serves each request on its own task until the listener is closed or <paramref name="stop"/> is cancelled.</summary>
    /// <param name="listener">The started listener.</param>
    /// <param name="handle">Handles one request (and closes its response).</param>
    /// <param name="stop">Stops accepting.</param>
    /// <returns>A task that ends when the listener stops.</returns>
    public static async Task ServeAsync(HttpListener listener, Func<HttpListenerContext, Task> handle, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(handle);
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => handle(context), CancellationToken.None);
        }
    }
}

/// <summary>A loopback HTTP server: binds a free 127.0.0.1 port, serves each request on its own task, stops on dispose.</summary>
public abstract class LoopbackHttpServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private HttpListener? _listener;
    private Task? _loop;

    /// <summary>The port, once started.</summary>
    protected int Port { get; private set; }

    /// <summary>Cancelled when the server stops.</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Close();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Binds a free port and starts serving.</summary>
    /// <returns>The port.</returns>
    protected int Listen()
    {
        var listener = LoopbackHttp.Start(out var port);
        (_listener, Port) = (listener, port);
        _loop = Task.Run(() => LoopbackHttp.ServeAsync(listener, HandleAsync, _stop.Token));
        return Port;
    }

    /// <summary>Handles one request and closes its response.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task.</returns>
    protected abstract Task HandleAsync(HttpListenerContext context);
}
