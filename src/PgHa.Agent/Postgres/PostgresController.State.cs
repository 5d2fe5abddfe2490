using Npgsql;

namespace PgHa.Agent.Postgres;

internal sealed partial class PostgresController
{
    private const string StateSql = """
        SELECT r.rec,
               CASE WHEN r.rec THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END - '0/0',
               pg_last_wal_receive_lsn() - '0/0',
               pg_last_wal_replay_lsn() - '0/0',
               CASE WHEN r.rec
                    -- A replica's timeline: what it receives, else the newest it knows a history file of (its
                    -- restartpoint lags, and the receiver is gone once the upstream died).
                    THEN GREATEST(COALESCE((SELECT received_tli FROM pg_stat_wal_receiver), 0),
                                  (SELECT timeline_id FROM pg_control_checkpoint()),
                                  COALESCE((SELECT max(('x' || substr(name, 1, 8))::bit(32)::int) FROM pg_ls_waldir()
                                            WHERE name ~ '^[0-9A-F]{8}\.history$'), 0))
                    ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
               (SELECT system_identifier FROM pg_control_system()),
               CASE WHEN r.rec THEN pg_is_wal_replay_paused() ELSE false END,
               CASE WHEN r.rec THEN current_setting('primary_conninfo') END,
               (SELECT status FROM pg_stat_wal_receiver),
               current_setting('server_version_num')::int,
               pg_postmaster_start_time(),
               current_setting('synchronous_standby_names')
        FROM (SELECT pg_is_in_recovery() AS rec) r
        """;

    /// <summary>Asks the server for its role, WAL positions, timeline and upstream in one round trip.</summary>
    public Task<PostgresState> QueryStateAsync(CancellationToken ct) => QueryStateAsync(TimeSpan.FromSeconds(30), ct);

    /// <summary>The same, letting the query run for up to <paramref name="queryTimeout"/> (a loaded server answers slowly).</summary>
    public async Task<PostgresState> QueryStateAsync(TimeSpan queryTimeout, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await using var _ = connection.ConfigureAwait(false);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        var command = new NpgsqlCommand(StateSql, connection) { CommandTimeout = (int)Math.Ceiling(queryTimeout.TotalSeconds) };
        await using var __ = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using var ___ = reader.ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        long? Position(int i) => reader.IsDBNull(i) ? null : (long)reader.GetDecimal(i);
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new PostgresState(
            IsPrimary: !reader.GetBoolean(0),
            WalPosition: Position(1) ?? 0,
            ReceivedPosition: Position(2),
            ReplayedPosition: Position(3),
            Timeline: reader.GetInt32(4),
            SystemIdentifier: reader.GetInt64(5),
            IsReplayPaused: reader.GetBoolean(6))
        {
            Upstream = ConnInfo.HostAndPort(Text(7)),
            IsStreaming = Text(8) == "streaming",
            ServerVersion = reader.GetInt32(9),
            PostmasterStartTime = reader.GetFieldValue<DateTimeOffset>(10),
            SynchronousStandbyNames = Text(11) ?? "",
        };
    }

    /// <summary>The primary's streaming standbys (<c>pg_stat_replication</c>), by application name (= slot name = member).</summary>
    public async Task<IReadOnlyList<ReplicationPeer>> QueryReplicationAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await using var _ = connection.ConfigureAwait(false);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        var command = new NpgsqlCommand(
            "SELECT application_name, state, sync_state, flush_lsn - '0/0', usename, client_addr::text FROM pg_stat_replication", connection);
        await using var __ = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await using var ___ = reader.ConfigureAwait(false);
        var peers = new List<ReplicationPeer>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            peers.Add(new ReplicationPeer(reader.GetString(0), reader.IsDBNull(1) ? "" : reader.GetString(1), reader.IsDBNull(2) ? "" : reader.GetString(2),
                reader.IsDBNull(3) ? null : (long)reader.GetDecimal(3), reader.IsDBNull(4) ? "" : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return peers;
    }

    /// <summary>Runs one statement on the local server as the superuser.</summary>
    public Task ExecuteAsync(string sql, CancellationToken ct, params object[] parameters) => ScalarAsync(ConnectionString, sql, ct, parameters);

    /// <summary>Reads a text file under the data directory through the server (the agent may not be able to read it directly).</summary>
    public async Task<string?> ReadServerFileAsync(string relativePath, CancellationToken ct)
        => await ScalarAsync(ConnectionString, "SELECT pg_read_file($1, 0, 1048576, true)", ct, relativePath).ConfigureAwait(false) as string;

    /// <summary>One statement over a fresh connection (the agent's calls are few and far between: no pool), and its first value.</summary>
    private static async Task<object?> ScalarAsync(string connectionString, string sql, CancellationToken ct, params object[] parameters)
    {
        var connection = new NpgsqlConnection(connectionString);
        await using var _ = connection.ConfigureAwait(false);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        var command = new NpgsqlCommand(sql, connection);
        await using var __ = command.ConfigureAwait(false);
        foreach (var parameter in parameters)
            command.Parameters.AddWithValue(parameter);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// What <c>pg_controldata</c> says of the stopped cluster: its state (e.g. <c>shut down</c>, <c>in production</c>,
    /// <c>shut down in recovery</c>), the latest checkpoint's position and timeline.
    /// </summary>
    public async Task<ControlData> ReadControlDataAsync(CancellationToken ct)
    {
        var output = await _tools.RunAsync("pg_controldata", ["-D", DataDirectory], ToolTimeout, ct).ConfigureAwait(false);
        var fields = output.Split('\n')
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0].Trim(), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.Ordinal);
        return new ControlData(
            File.Exists(Path.Combine(DataDirectory, "standby.signal")) && !File.Exists(DemotedMarker),
            fields.GetValueOrDefault("Database cluster state", ""),
            Lsn.Parse(fields.GetValueOrDefault("Latest checkpoint location", "0/0")),
            int.TryParse(fields.GetValueOrDefault("Latest checkpoint's TimeLineID"), System.Globalization.CultureInfo.InvariantCulture, out var tli) ? tli : 0);
    }
}

/// <summary>One row of <c>pg_stat_replication</c>.</summary>
internal sealed record ReplicationPeer(string ApplicationName, string State, string SyncState, long? FlushPosition, string User, string? ClientAddress);

/// <summary>The few fields of <c>pg_controldata</c> the agent needs.</summary>
internal sealed record ControlData(bool IsStandby, string State, long CheckpointPosition, int CheckpointTimeline)
{
    /// <summary>
    /// The server was a primary when it stopped (cleanly or not), so it may hold WAL the new leader lacks. A fresh
    /// clone's control file also says "in production" (copied from its source); its standby.signal tells them apart.
    /// </summary>
    public bool WasPrimary => !IsStandby && State is "in production" or "shut down" or "in crash recovery" or "shutting down";
}
