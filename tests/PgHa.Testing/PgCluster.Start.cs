using System.Runtime.Versioning;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

public sealed partial class PgCluster
{
    private const int PortAttempts = 5;

    /// <summary>
    /// Creates and starts a cluster: <c>initdb</c> for the primary, then <c>pg_basebackup</c> for each replica
    /// (with a physical replication slot named after it); returns once every replica is streaming.
    /// </summary>
    /// <param name="options">How to build it; <see langword="null"/> for the defaults (a primary and two replicas).</param>
    /// <param name="ct">Cancels the start; whatever was created is torn down.</param>
    /// <returns>The running cluster; dispose it to stop the servers and delete their files.</returns>
    /// <exception cref="PgHarnessException">A PostgreSQL tool failed or a node did not come up in time.</exception>
    public static async Task<PgCluster> StartAsync(PgClusterOptions? options = null, CancellationToken ct = default)
    {
        options ??= new PgClusterOptions();
        options.Validate();
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("PgHa.Testing needs Linux (/proc, POSIX signals, runuser).");

        var account = ServerAccount.ForCurrentProcess();
        var binaries = await PostgresBinaries.ResolveAsync(options.BinDirectory, ct);
        await StaleClusterSweeper.SweepAsync(binaries, account);

        var root = ClusterDirectory.Create(options.RootDirectory);
        var context = new ClusterContext(options, new PostgresTools(binaries, account, options.Password, root), root);
        var nodes = Enumerable.Range(1, options.Replicas + 1)
            .Select(i => new PgNode($"node{i}", FreePort.Next(), context))
            .ToList();
        var cluster = new PgCluster(context, nodes);
        ExitHooks.Register(cluster);
        try
        {
            cluster._reaper = Reaper.Start(Environment.ProcessId, root, context.Tools);
            await cluster.BootstrapAsync(ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    [SupportedOSPlatform("linux")]
    private async Task BootstrapAsync(CancellationToken ct)
    {
        var primary = InitialPrimary;
        await primary.InitializeAsync(ct);
        await StartOnFreePortAsync(primary, ct);
        if (_context.Database != "postgres")
            await primary.ExecuteAsync($"CREATE DATABASE {SqlText.Identifier(_context.Database)}", "postgres", ct);

        await Task.WhenAll(_nodes.Skip(1).Select(async replica =>
        {
            await replica.CloneFromAsync(primary, ct);
            await StartOnFreePortAsync(replica, ct);
            await replica.WaitForStreamingAsync(primary, ct);
        }));
    }

    // The port was free when picked, but anyone may take it before the server binds it.
    internal static async Task StartOnFreePortAsync(PgNode node, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await node.StartAsync(ct);
                return;
            }
            catch (PgHarnessException e) when (attempt < PortAttempts
                && e.LogTail?.Contains("Address already in use", StringComparison.Ordinal) == true)
            {
                node.MoveToPort(FreePort.Next());
            }
        }
    }
}
