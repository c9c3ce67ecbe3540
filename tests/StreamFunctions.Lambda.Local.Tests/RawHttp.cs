using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamFunctions.Lambda.Local.Tests;

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
}
