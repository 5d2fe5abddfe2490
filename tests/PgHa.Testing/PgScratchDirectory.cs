using System.Runtime.Versioning;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>
/// Room for PostgreSQL data directories that something else creates and runs (an HA agent under test), torn down
/// like a <see cref="PgCluster"/>: every server under it stopped, every process naming it killed, the directory
/// deleted, on dispose, on process exit, or by a reaper if the test host is killed.
/// </summary>
public sealed class PgScratchDirectory : IAsyncDisposable, IDisposable
{
    private readonly PostgresTools _tools;
    private readonly Reaper _reaper;
    private int _disposed;

    private PgScratchDirectory(string root, PostgresTools tools)
    {
        RootDirectory = root;
        _tools = tools;
        _reaper = Reaper.Start(Environment.ProcessId, root, tools);
        ExitHooks.Register(this);
    }

    /// <summary>The directory.</summary>
    public string RootDirectory { get; }

    /// <summary>Where PostgreSQL's tools are.</summary>
    public string BinDirectory => _tools.Binaries.Directory;

    /// <summary>The OS user PostgreSQL must run as (<c>postgres</c> when the tests run as root), or <see langword="null"/> for ours.</summary>
    public string? OsUser => _tools.Account?.Name;

    /// <summary>Creates the directory.</summary>
    public static async Task<PgScratchDirectory> CreateAsync(string? binDirectory = null, CancellationToken ct = default)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("PgHa.Testing needs Linux (/proc, POSIX signals, runuser).");
        var account = ServerAccount.ForCurrentProcess();
        var binaries = await PostgresBinaries.ResolveAsync(binDirectory, ct);
        await StaleClusterSweeper.SweepAsync(binaries, account);
        var root = ClusterDirectory.Create(null, "scratch-" + Guid.NewGuid().ToString("N")[..8]);
        return new PgScratchDirectory(root, new PostgresTools(binaries, account, password: null, root));
    }

    /// <summary>
    /// The data directory for <paramref name="node"/>: <c>&lt;root&gt;/&lt;node&gt;/data</c>, not created; its parent is,
    /// owned by <see cref="OsUser"/> (so the server can write its log next to it). This layout is what teardown looks for.
    /// </summary>
    public string DataDirectoryFor(string node)
    {
        var parent = Path.Combine(RootDirectory, node);
        Directory.CreateDirectory(parent);
        _tools.Own(parent);
        return Path.Combine(parent, "data");
    }

    /// <summary>Stops every server under the directory and deletes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        var gone = await ClusterTeardown.RunAsync(RootDirectory, _tools, _reaper.ProcessId);
        ExitHooks.Unregister(this);
        if (gone)
            _reaper.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
