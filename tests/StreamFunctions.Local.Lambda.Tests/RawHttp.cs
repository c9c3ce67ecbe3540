using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamFunctions.Local.Lambda.Tests;

/// <summary>A request written as bytes to a loopback port, as no HTTP client would send it (lengths that lie, bodies without end).</summary>
internal static class RawHttp
{
    /// <summary>Sends the request (while reading) and returns the first bytes of the answer.</summary>
    /// <param name="port">The server's loopback port.</param>
    /// <param name="request">The whole request, head and body.</param>
    /// <param name="halfClose">Whether the sending side is closed once the request is written (the body ends there).</param>
    /// <returns>Up to 4 KB of the answer, as text.</returns>
    public static async Task<string> SendAsync(int port, string request, bool halfClose = false)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var sending = stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask();
        if (halfClose)
        {
            await sending;
            client.Client.Shutdown(SocketShutdown.Send);
        }

        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        await Task.WhenAny(sending);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>
    /// Sends a request's head and then its body one byte every <paramref name="pause"/> (a slow client holding a
    /// connection), stopping when the answer comes; <paramref name="body"/> need not be whole (a client that stalls).
    /// </summary>
    /// <param name="port">The server's loopback port.</param>
    /// <param name="head">The request's head, through its blank line.</param>
    /// <param name="body">The bytes sent after it, one at a time.</param>
    /// <param name="pause">The pause before each byte.</param>
    /// <param name="wait">How long the answer is waited for.</param>
    /// <returns>Up to 4 KB of the answer, as text, and how long after the head it came.</returns>
    public static async Task<(string Answer, TimeSpan After)> TrickleAsync(int port, string head, string body, TimeSpan pause, TimeSpan wait)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var answered = new CancellationTokenSource();
        var sending = Task.Run(
            async () =>
            {
                try
                {
                    foreach (var b in Encoding.ASCII.GetBytes(body))
                    {
                        await Task.Delay(pause, answered.Token);
                        await stream.WriteAsync(new[] { b }, answered.Token);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
                {
                    // The server answered and closed, or the test is over.
                }
            },
            CancellationToken.None);
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(wait);
        var after = started.Elapsed;
        await answered.CancelAsync();
        await sending;
        return (Encoding.UTF8.GetString(buffer, 0, read), after);
    }
}
