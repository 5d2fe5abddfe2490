using System.Globalization;
using System.Text;
using PgHa.Testing;

namespace PgHa.LoadTest;

/// <summary>
/// pgpool-II 4.3 in streaming-replication mode with load balancing, trust authentication passed through, every file
/// (configuration, pid, sockets, status) inside its own directory, run in the foreground.
/// </summary>
internal static class PgPoolLauncher
{
    public static Task<ProxyProcess> StartAsync(string executable, IReadOnlyList<PgNode> nodes, int port, int pcpPort, int children, CancellationToken ct) =>
        ProxyProcess.StartAsync(
            executable,
            root => new Dictionary<string, string>
            {
                ["pgpool.conf"] = Configuration(root, nodes, port, pcpPort, children),
                ["pool_hba.conf"] = "local all all trust\nhost all all 127.0.0.1/32 trust\n",
                ["pcp.conf"] = "# no PCP users: the load test only reads SHOW pool_nodes over SQL\n",
            },
            root =>
            [
                "-n", // foreground
                "-D", // forget any saved node status: every run starts with all backends up
                "-f", Path.Combine(root, "pgpool.conf"),
                "-a", Path.Combine(root, "pool_hba.conf"),
                "-F", Path.Combine(root, "pcp.conf"),
            ],
            port,
            TimeSpan.FromSeconds(30),
            ct);

    private static string Configuration(string root, IReadOnlyList<PgNode> nodes, int port, int pcpPort, int children)
    {
        var text = new StringBuilder();
        void Set(string key, object value) =>
            text.Append(CultureInfo.InvariantCulture, $"{key} = {(value is string s ? $"'{s}'" : Convert.ToString(value, CultureInfo.InvariantCulture))}\n");

        Set("backend_clustering_mode", "streaming_replication");
        Set("listen_addresses", "127.0.0.1");
        Set("port", port);
        Set("socket_dir", root);
        Set("pcp_listen_addresses", "127.0.0.1");
        Set("pcp_port", pcpPort);
        Set("pcp_socket_dir", root);
        Set("pid_file_name", Path.Combine(root, "pgpool.pid"));
        Set("logdir", root);
        Set("wd_ipc_socket_dir", root);
        Set("use_watchdog", "off");
        for (var i = 0; i < nodes.Count; i++)
        {
            Set($"backend_hostname{i}", nodes[i].Host);
            Set($"backend_port{i}", nodes[i].Port);
            // Weight 0 on the primary: reads are balanced over the replicas only, as with HAProxy's read port and PgHa.
            Set($"backend_weight{i}", i == 0 ? 0 : 1);
            Set($"backend_flag{i}", "ALLOW_TO_FAILOVER");
            Set($"backend_application_name{i}", nodes[i].Name);
        }

        Set("enable_pool_hba", "on");
        Set("pool_passwd", "");
        Set("ssl", "off");
        // Every client connection holds a pgpool child for its whole life, so there must be a child per pooled connection.
        Set("num_init_children", children);
        Set("reserved_connections", 0);
        Set("max_pool", 1);
        Set("connection_cache", "on");
        Set("load_balance_mode", "on");
        Set("statement_level_load_balance", "off");
        Set("disable_load_balance_on_write", "transaction");
        Set("sr_check_period", 5);
        Set("sr_check_user", "postgres");
        Set("sr_check_password", "");
        Set("sr_check_database", "postgres");
        Set("delay_threshold", 0);
        Set("health_check_period", 5);
        Set("health_check_timeout", 5);
        Set("health_check_user", "postgres");
        Set("health_check_password", "");
        Set("health_check_database", "postgres");
        Set("health_check_max_retries", 0);
        Set("failover_command", "");
        Set("memory_cache_enabled", "off");
        Set("log_destination", "stderr");
        Set("logging_collector", "off");
        Set("log_min_messages", "warning");
        return text.ToString();
    }
}
