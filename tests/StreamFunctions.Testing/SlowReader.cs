using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StreamFunctions.Testing;

/// <summary>A client of a loopback server that sends its request and then stops reading for a while, as a slow or stuck client does.</summary>
public static class SlowReader
{
    /// <summary>
    /// Sends a request, then reads nothing for <paramref name="pause"/> (with a small receive buffer, so that the
    /// server's writes fill it), then reads to the end of the connection.
    /// </summary>
    /// <param name="port">The server's loopback port.</param>
    /// <param name="request">The whole request.</param>
    /// <param name="pause">How long nothing is read.</param>
    /// <returns>How many bytes of the answer (head and body) arrived before the connection ended.</returns>
    public static async Task<long> ReadLaterAsync(int port, string request, TimeSpan pause)
    {
        using var client = new TcpClient { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request)).ConfigureAwait(false);
        await Task.Delay(pause).ConfigureAwait(false);
        long total = 0;
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
        }
        catch (IOException)
        {
            // Reset by the server: what arrived before is the count.
        }

        return total;
    }
}
