using System.Net;
using System.Net.Sockets;

namespace PgHa.Testing.Internal;

/// <summary>Picks loopback TCP ports nobody listens on.</summary>
internal static class FreePort
{
    private static readonly Lock Gate = new();

    // The kernel may hand out a just-released port again; never give the same one to two nodes of this process.
    private static readonly HashSet<int> HandedOut = [];

    public static int Next()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (Gate)
            {
                if (HandedOut.Add(port))
                    return port;
            }
        }

        throw new PgHarnessException("Could not find a free loopback port.");
    }
}
