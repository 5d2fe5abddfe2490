using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;
using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>Secrets stay out of PostgreSQL's processes and settings, and awkward passwords still work.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentSecurityTests
{
    // A space, both quotes, a backslash, and (for the passfile) a colon.
    private const string SuperuserPassword = "su per'us\"er\\pw";
    private const string ReplicationPassword = "re pl'ic\"a:tion\\pw";
    private const string RewindPassword = "re w'in\"d:\\pw";

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["SuperuserPassword"] = SuperuserPassword,
        ["ReplicationUser"] = "replicator",
        ["ReplicationPassword"] = ReplicationPassword,
        ["RewindUser"] = "rewinder",
        ["RewindPassword"] = RewindPassword,
    };

    [Fact]
    public async Task With_passwords_holding_spaces_quotes_and_backslashes_replicas_stream_as_the_replication_user_and_no_server_process_carries_a_password()
    {
        await using var cluster = await AgentCluster.StartAsync(settings: Settings);
        var leader = await cluster.WaitForHealthyAsync();
        var replicas = cluster.Nodes.Where(n => n != leader).ToList();

        Assert.Equal(["replicator", "replicator"], await ReplicationUsersAsync(leader));
        foreach (var node in cluster.Nodes)
        {
            var pids = ServerProcesses(node);
            Assert.True(pids.Count > 3, $"{node.Name}: only {pids.Count} server processes found");
            foreach (var pid in pids)
            {
                var environment = Read($"/proc/{pid}/environ");
                var commandLine = Read($"/proc/{pid}/cmdline");
                Assert.DoesNotContain("PGPASSWORD=", environment, StringComparison.Ordinal);
                Assert.DoesNotContain("PgHa__", environment, StringComparison.OrdinalIgnoreCase);
                foreach (var secret in new[] { SuperuserPassword, ReplicationPassword, RewindPassword })
                {
                    Assert.DoesNotContain(secret, environment, StringComparison.Ordinal);
                    Assert.DoesNotContain(secret, commandLine, StringComparison.Ordinal);
                }
            }

            var passfile = node.DataDirectory + ".pgpass";
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passfile));
            if (cluster.Scratch.OsUser is { } user)
                Assert.Equal(user, await OwnerAsync(passfile));
        }

        foreach (var replica in replicas)
        {
            var conninfo = await ScalarAsync<string>(replica, "SHOW primary_conninfo");
            Assert.Contains("user='replicator'", conninfo, StringComparison.Ordinal);
            Assert.Contains($"passfile='{replica.DataDirectory}.pgpass'", conninfo, StringComparison.Ordinal);
            Assert.DoesNotContain("password", conninfo, StringComparison.OrdinalIgnoreCase);
            var autoConf = await File.ReadAllTextAsync(Path.Combine(replica.DataDirectory, "postgresql.auto.conf"));
            foreach (var secret in new[] { SuperuserPassword, ReplicationPassword, RewindPassword })
                Assert.DoesNotContain(secret, autoConf, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task By_default_pg_hba_conf_has_no_local_trust_line_and_the_agents_still_run_the_cluster()
    {
        await using var cluster = await AgentCluster.StartAsync();
        await cluster.WaitForHealthyAsync();

        foreach (var node in cluster.Nodes)
        {
            var hba = await File.ReadAllLinesAsync(Path.Combine(node.DataDirectory, "pg_hba.conf"));
            var local = hba.Where(l => Regex.IsMatch(l, @"^\s*local\s")).ToList();
            Assert.NotEmpty(local);
            Assert.All(local, l => Assert.Matches(@"\speer\s*$", l));
        }
    }

    [Fact]
    public async Task A_lost_leader_rejoins_through_pg_rewind_as_the_separate_rewind_user()
    {
        await using var cluster = await AgentCluster.StartAsync(settings: Settings);
        var old = await cluster.WaitForHealthyAsync();
        await ExecuteAsync(old, "CREATE TABLE t(x int); INSERT INTO t VALUES (1)");

        old.KillNode();
        var view = await cluster.WaitForAsync(v => v.Leader is { } l && l != old.Name && v.Members[l].Role == "primary", TimeSpan.FromSeconds(30), "a new leader");
        var leader = cluster[view.Leader!];
        await ExecuteAsync(leader, "INSERT INTO t VALUES (2)");
        // Log what connects, so the test sees pg_rewind arrive as the rewind role.
        await ExecuteAsync(leader, "ALTER SYSTEM SET log_connections = on");
        await ExecuteAsync(leader, "SELECT pg_reload_conf()");

        old.Start();
        await cluster.WaitForHealthyAsync(expectedReplicas: cluster.Nodes);

        var log = old.LogTail(400);
        Assert.Contains("rewound onto", log, StringComparison.Ordinal);
        Assert.DoesNotContain("pg_rewind failed", log, StringComparison.Ordinal);
        Assert.Equal(2L, await ScalarAsync<long>(old, "SELECT count(*) FROM t"));
        var serverLog = await File.ReadAllTextAsync(Path.TrimEndingDirectorySeparator(leader.DataDirectory) + ".log");
        Assert.Contains("user=rewinder database=postgres", serverLog, StringComparison.Ordinal);
        Assert.DoesNotContain(RewindPassword, serverLog, StringComparison.Ordinal);
    }

    /// <summary>The postmaster and every process it forked.</summary>
    private static List<int> ServerProcesses(AgentNode node)
    {
        var postmaster = node.PostmasterPid() ?? throw new InvalidOperationException($"{node.Name} has no postmaster");
        var pids = new List<int> { postmaster };
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ...": the name may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == postmaster)
                    pids.Add(pid);
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }

        return pids;
    }

    private static string Read(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path)).Replace('\0', '\n');
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static async Task<string> OwnerAsync(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%U", path]) { RedirectStandardOutput = true })!;
        var owner = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return owner.Trim();
    }

    private static async Task<List<string>> ReplicationUsersAsync(AgentNode leader)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(leader));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT usename::text FROM pg_stat_replication WHERE state = 'streaming'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var users = new List<string>();
        while (await reader.ReadAsync())
            users.Add(reader.GetString(0));
        return users;
    }

    private static async Task<T> ScalarAsync<T>(AgentNode node, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(node));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(AgentNode node, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(node));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string ConnectionString(AgentNode node) => new NpgsqlConnectionStringBuilder(node.ConnectionString) { Password = SuperuserPassword }.ConnectionString;
}
