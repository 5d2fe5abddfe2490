using System.Collections.Concurrent;

namespace PgHa.Testing.Internal;

/// <summary>Tears down clusters (PostgreSQL or etcd) still alive when the process exits or is interrupted with Ctrl+C.</summary>
internal static class ExitHooks
{
    private static readonly ConcurrentDictionary<IDisposable, byte> Live = new();

    static ExitHooks()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
        Console.CancelKeyPress += (_, _) => DisposeAll();
    }

    public static void Register(IDisposable cluster) => Live[cluster] = 0;

    public static void Unregister(IDisposable cluster) => Live.TryRemove(cluster, out _);

    private static void DisposeAll()
    {
        DisposeClusters();
        if (OperatingSystem.IsLinux())
            InitdbTemplate.DeleteAll();
    }

    private static void DisposeClusters()
    {
        foreach (var cluster in Live.Keys)
        {
            try
            {
                cluster.Dispose();
            }
            catch (Exception)
            {
                // Nothing may escape an exit handler; the reaper finishes the job once this process is gone.
            }
        }
    }
}
