using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace PgHa.Client.Topology.Internal;

/// <summary>The single-round-trip probe a monitoring connection runs on every node.</summary>
internal static class ProbeQuery
{
    // One statement for every role: the CASEs keep primary-only functions (pg_current_wal_*) off replicas,
    // where they raise "recovery is in progress". in_recovery is read once, so a promotion between two
    // function calls cannot mix a replica's answer with a primary's.
    // The primary's timeline comes from its current WAL file name, which switches the moment it is promoted;
    // pg_control_checkpoint() would lag until the next checkpoint.
    public const string Sql = """
        SELECT r.in_recovery,
               current_setting('transaction_read_only') = 'on',
               CASE WHEN r.in_recovery THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END,
               pg_last_wal_receive_lsn(),
               CASE WHEN r.in_recovery THEN pg_is_wal_replay_paused() ELSE false END,
               pg_last_xact_replay_timestamp(),
               CASE WHEN r.in_recovery THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END,
               CASE WHEN r.in_recovery
                    THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))
               END,
               (SELECT system_identifier FROM pg_control_system())
        FROM (SELECT pg_is_in_recovery() AS in_recovery) r
        """;

    public static async Task<ProbeResult> RunAsync(NpgsqlCommand command, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return Read(reader, time.GetElapsedTime(started));
        }
    }

    private static ProbeResult Read(NpgsqlDataReader reader, TimeSpan roundTrip)
    {
        var inRecovery = reader.GetBoolean(0);
        return new ProbeResult(
            InRecovery: inRecovery,
            ReadOnly: reader.GetBoolean(1),
            WalPosition: Lsn(reader, 2),
            ReceivedPosition: Lsn(reader, 3),
            ReplayPaused: reader.GetBoolean(4),
            LastReplayedCommitAt: reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            Timeline: inRecovery ? (reader.IsDBNull(7) ? null : reader.GetInt32(7)) : TimelineOfWalFile(reader.GetString(6)),
            SystemIdentifier: reader.IsDBNull(8) ? null : reader.GetInt64(8),
            RoundTrip: roundTrip);
    }

    private static NpgsqlLogSequenceNumber? Lsn(NpgsqlDataReader reader, int ordinal)
        => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<NpgsqlLogSequenceNumber>(ordinal);

    /// <summary>A WAL file name is 24 hex digits: timeline, log, segment; the first 8 are the timeline.</summary>
    internal static int? TimelineOfWalFile(string walFileName)
        => walFileName.Length >= 8 && int.TryParse(walFileName.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var tl)
            ? tl
            : null;
}
