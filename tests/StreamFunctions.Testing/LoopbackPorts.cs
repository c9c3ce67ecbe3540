using System.Net;
using System.Net.Sockets;

namespace StreamFunctions.Testing;

/// <summary>Ports for loopback test servers.</summary>
public static class LoopbackPorts
{
    /// <summary>A loopback port free at the time of the call (the OS picks it).</summary>
    /// <returns>The port.</returns>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
