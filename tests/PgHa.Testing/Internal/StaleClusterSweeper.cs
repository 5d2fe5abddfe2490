namespace PgHa.Testing.Internal;

/// <summary>Cleans up clusters whose test process died without disposing them (and before its reaper could).</summary>
internal static class StaleClusterSweeper
{
    public static async Task SweepAsync(PostgresBinaries binaries, ServerAccount? account)
    {
        if (!Directory.Exists(ClusterDirectory.BasePath))
            return;

        var tools = new PostgresTools(binaries, account, password: null, ClusterDirectory.BasePath);
        foreach (var root in Directory.EnumerateDirectories(ClusterDirectory.BasePath).Where(ClusterDirectory.IsAbandoned).ToList())
        {
            try
            {
                await ClusterTeardown.RunAsync(root, tools);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PgHarnessException)
            {
                // Another user's directory, or another run sweeping it at the same time; not ours to fail on.
            }
        }
    }
}
