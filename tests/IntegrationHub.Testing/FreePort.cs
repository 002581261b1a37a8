using System.Net;
using System.Net.Sockets;

namespace IntegrationHub.Testing;

/// <summary>
/// An ephemeral loopback port for a listener that cannot report the port it bound (MQTTnet's TCP listener): the
/// operating system picks a free one, which is released and handed to the listener.
/// </summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
