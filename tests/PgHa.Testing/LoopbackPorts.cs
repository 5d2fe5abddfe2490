using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>Free loopback TCP ports for processes a test starts itself (never handed out twice in one test process).</summary>
public static class LoopbackPorts
{
    /// <summary>A port nobody listens on now.</summary>
    public static int Next() => FreePort.Next();
}
