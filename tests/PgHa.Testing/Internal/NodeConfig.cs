using System.Globalization;

namespace PgHa.Testing.Internal;

/// <summary>Writes a node's <c>postgresql.conf</c>, <c>pg_hba.conf</c> and <c>postgresql.auto.conf</c>.</summary>
internal static class NodeConfig
{
    public const string Host = "127.0.0.1";

    private static readonly Dictionary<string, string> ServerSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["listen_addresses"] = Host,
        ["unix_socket_directories"] = "",
        ["wal_level"] = "replica",
        ["max_wal_senders"] = "10",
        ["max_replication_slots"] = "10",
        ["hot_standby"] = "on",
        ["hot_standby_feedback"] = "on",
        ["wal_log_hints"] = "on",
        ["fsync"] = "off",
        ["synchronous_commit"] = "on",
        ["full_page_writes"] = "on",
        ["shared_buffers"] = "32MB",
        ["max_connections"] = "100",
        ["logging_collector"] = "off",
        // The default 5 s between attempts to reach a (new) primary makes every failover test wait for nothing.
        ["wal_retrieve_retry_interval"] = "500ms",
    };

    /// <summary>Appends the harness's settings, overridden by the user's, to the end of <c>postgresql.conf</c> (last one wins).</summary>
    public static void AppendServerSettings(string dataDirectory, IReadOnlyDictionary<string, string> overrides)
    {
        var merged = new Dictionary<string, string>(ServerSettings, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in overrides)
            merged[key] = value;
        ConfigFile.Append(Path.Combine(dataDirectory, "postgresql.conf"), "Added by PgHa.Testing", merged);
    }

    public static void WriteHba(string dataDirectory, bool requirePassword)
    {
        var method = requirePassword ? "scram-sha-256" : "trust";
        File.WriteAllLines(Path.Combine(dataDirectory, "pg_hba.conf"),
        [
            "# Written by PgHa.Testing: loopback only.",
            "local   all          all                 trust",
            "local   replication  all                 trust",
            $"host    all          all   {Host}/32  {method}",
            $"host    replication  all   {Host}/32  {method}",
        ]);
    }

    /// <summary>Sets the node's own port; kept in <c>postgresql.auto.conf</c> because clones copy <c>postgresql.conf</c>.</summary>
    public static void SetPort(string dataDirectory, int port, Action<string> own) =>
        ConfigFile.Upsert(AutoConf(dataDirectory), new Dictionary<string, string?>
        {
            ["port"] = port.ToString(CultureInfo.InvariantCulture),
        }, own);

    /// <summary>Makes the node a standby of <paramref name="conninfo"/>, through replication slot <paramref name="slot"/>.</summary>
    public static void SetUpstream(string dataDirectory, int port, string conninfo, string slot, Action<string> own)
    {
        ConfigFile.Upsert(AutoConf(dataDirectory), new Dictionary<string, string?>
        {
            ["port"] = port.ToString(CultureInfo.InvariantCulture),
            ["primary_conninfo"] = conninfo,
            ["primary_slot_name"] = slot,
        }, own);
        var signal = Path.Combine(dataDirectory, "standby.signal");
        if (!File.Exists(signal))
        {
            File.WriteAllText(signal, "");
            own(signal);
        }
    }

    private static string AutoConf(string dataDirectory) => Path.Combine(dataDirectory, "postgresql.auto.conf");
}
