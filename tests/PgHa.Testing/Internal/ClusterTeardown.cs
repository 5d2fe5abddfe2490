namespace PgHa.Testing.Internal;

/// <summary>Stops every server under a cluster root, kills what is left and deletes the directory.</summary>
internal static class ClusterTeardown
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns whether the root directory is gone afterwards. <c>tools</c> stops PostgreSQL servers; <see langword="null"/> for a root without any (etcd's).</summary>
    public static async Task<bool> RunAsync(string root, PostgresTools? tools, int? sparePid = null)
    {
        var dataDirectories = DataDirectories(root);
        if (tools is not null)
            await Task.WhenAll(dataDirectories.Select(d => StopImmediatelyAsync(d, tools)));
        KillLeftovers(root, sparePid);
        foreach (var dataDirectory in dataDirectories)
            PostmasterPidFile.Read(dataDirectory)?.Segment?.RemoveIfUnused();
        return await DeleteAsync(root);
    }

    private static List<string> DataDirectories(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Select(d => Path.Combine(d, "data")).Where(Directory.Exists).ToList()
            : [];

    private static async Task StopImmediatelyAsync(string dataDirectory, PostgresTools tools)
    {
        if (PostmasterPidFile.Read(dataDirectory) is not { } file || !file.IsLive(dataDirectory))
            return;

        // A frozen server would never act on pg_ctl's SIGQUIT.
        Signals.ContinueTree(file.Pid);
        try
        {
            await tools.TryRunAsync(
                "pg_ctl",
                ["stop", "-D", dataDirectory, "-m", "immediate", "-w", "-t", PostgresTools.Seconds(StopTimeout)],
                StopTimeout,
                CancellationToken.None);
        }
        catch (PgHarnessException)
        {
            // KillLeftovers takes care of it.
        }
    }

    /// <summary>Kills every process whose command line names the root (postmasters, pg_basebackup, pg_ctl...).</summary>
    private static void KillLeftovers(string root, int? sparePid)
    {
        var fragment = Path.TrimEndingDirectorySeparator(root) + "/";
        foreach (var pid in ProcessTree.FindByCommandLine(fragment).Where(pid => pid != sparePid))
            Signals.KillTree(pid);
    }

    private static async Task<bool> DeleteAsync(string root)
    {
        for (var attempt = 0; attempt < 20 && Directory.Exists(root); attempt++)
        {
            try
            {
                ClusterDirectory.Delete(root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A dying process may still be writing its log; try again shortly.
                await Task.Delay(100);
            }
        }

        return !Directory.Exists(root);
    }
}
