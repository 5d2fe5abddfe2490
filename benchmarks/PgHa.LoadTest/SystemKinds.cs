namespace PgHa.LoadTest;

/// <summary>Names, descriptions and parsing of <see cref="SystemKind"/>.</summary>
internal static class SystemKinds
{
    public static readonly SystemKind[] All = Enum.GetValues<SystemKind>();

    public static string Name(this SystemKind kind) => kind switch
    {
        SystemKind.Raw => "raw",
        SystemKind.RawReplicas => "raw-replicas",
        SystemKind.PgHa => "pgha",
        SystemKind.PgHaPrimary => "pgha-primary",
        SystemKind.HaProxy => "haproxy",
        SystemKind.PgPool => "pgpool",
        SystemKind.MultiHost => "multihost",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string Description(this SystemKind kind) => kind switch
    {
        SystemKind.Raw => "raw `NpgsqlDataSource` to the primary: every read and write on the primary (baseline)",
        SystemKind.RawReplicas => "raw `NpgsqlDataSource`s, one per node: reads alternate between the 2 replicas, writes to the primary; the same nodes as pgha with no routing layer",
        SystemKind.PgHa => "`PgHaDataSource`: reads `TargetRole.Replica` (round-robin over the 2 replicas), writes `TargetRole.Primary`",
        SystemKind.PgHaPrimary => "`PgHaDataSource` with every operation `TargetRole.Primary`: the same node as raw, for the routing overhead",
        SystemKind.HaProxy => "Npgsql through HAProxy (tcp): read port round-robin over the 2 replicas, write port to the primary, `option pgsql-check`",
        SystemKind.PgPool => "Npgsql through pgpool-II (streaming_replication, load_balance_mode on, connection cache): one port for reads and writes",
        SystemKind.MultiHost => "`NpgsqlMultiHostDataSource` (`Load Balance Hosts=true`): reads `PreferStandby`, writes `Primary`",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Whether reads are meant to land on the replicas only.</summary>
    public static bool ReadsOnReplicas(this SystemKind kind) => kind is not (SystemKind.Raw or SystemKind.PgHaPrimary);

    public static SystemKind Parse(string text)
    {
        foreach (var kind in All)
        {
            if (string.Equals(kind.Name(), text.Trim(), StringComparison.OrdinalIgnoreCase))
                return kind;
        }

        throw new UsageException($"--systems: unknown system '{text}'; choose from {string.Join(", ", All.Select(k => k.Name()))}.");
    }
}
