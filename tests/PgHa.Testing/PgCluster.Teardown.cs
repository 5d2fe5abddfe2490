using PgHa.Testing.Internal;

namespace PgHa.Testing;

public sealed partial class PgCluster : IAsyncDisposable, IDisposable
{
    private Reaper? _reaper;
    private int _disposed;

    /// <summary>
    /// Stops every node at once (<c>pg_ctl stop -m immediate</c>, frozen nodes are thawed first), kills any process
    /// still running from this cluster's directories, and deletes <see cref="RootDirectory"/>.
    /// </summary>
    /// <returns>A task that completes when the cluster is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;

        var gone = await ClusterTeardown.RunAsync(RootDirectory, _context.Tools, _reaper?.ProcessId);
        ExitHooks.Unregister(this);

        // Should the directory have survived, the reaper finishes the job once this process exits.
        if (gone)
            _reaper?.Dispose();
    }

    /// <summary>Tears the cluster down synchronously; see <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
