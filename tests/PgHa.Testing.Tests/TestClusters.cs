// The harness drives real PostgreSQL servers through /proc and POSIX signals.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace PgHa.Testing.Tests;

/// <summary>Shared ways of starting clusters and looking at what they leave behind.</summary>
internal static class TestClusters
{
    public static readonly TimeSpan ReplayTimeout = TimeSpan.FromSeconds(10);

    public static Task<PgCluster> StartAsync(int replicas, Action<PgClusterOptions>? configure = null)
    {
        var options = new PgClusterOptions { Replicas = replicas };
        configure?.Invoke(options);
        return PgCluster.StartAsync(options);
    }

    /// <summary>Live processes whose command line names <paramref name="fragment"/> (postmasters show their -D).</summary>
    public static IReadOnlyList<string> ProcessesMentioning(string fragment)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(fragment, StringComparison.Ordinal))
                    found.Add($"{pid}: {commandLine}");
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }

        return found;
    }

    /// <summary>Whether the process exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static Task CreateTableAsync(PgNode primary) =>
        primary.ExecuteAsync("CREATE TABLE items (id int PRIMARY KEY, label text)");

    public static Task InsertAsync(PgNode node, int id, string label) =>
        node.ExecuteAsync($"INSERT INTO items VALUES ({id}, '{label}')");

    public static Task<long> CountAsync(PgNode node, string label) =>
        node.ExecuteScalarAsync<long>($"SELECT count(*) FROM items WHERE label = '{label}'");
}
