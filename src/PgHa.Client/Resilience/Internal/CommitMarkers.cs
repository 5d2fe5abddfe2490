using Npgsql;
using NpgsqlTypes;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// The SQL of commit markers (docs/design/in-doubt-commits.md). A unit's COMMIT inserts a row with a fresh token
/// in the same transaction, so the row exists on a node exactly when the unit committed there. After a COMMIT is
/// cut off, the new primary is asked with an upsert that inserts a fence row when the token is absent: the answer
/// is then final, since the cut-off transaction, should it ever reach that node, fails on the fence's key.
/// The table name was validated as plain <c>schema.table</c> identifiers, so splicing it into SQL is safe.
/// </summary>
internal sealed class CommitMarkers(string table)
{
    public const char Committed = 'c';
    public const char Fenced = 'f';

    private readonly string _schema = table[..table.IndexOf('.', StringComparison.Ordinal)];
    private volatile bool _tableExists;

    private readonly string _insertSql = $"INSERT INTO {table} (token) SELECT $1 WHERE pg_current_xact_id_if_assigned() IS NOT NULL";

    public string Table { get; } = table;

    /// <summary>Whether the table is known to exist (checked or created by this data source).</summary>
    public bool TableExists => _tableExists;

    /// <summary>What a DBA runs once when the application's role may not create the table.</summary>
    public string CreateScript => $"""
        CREATE SCHEMA IF NOT EXISTS {_schema};
        CREATE TABLE IF NOT EXISTS {Table} (
            token uuid PRIMARY KEY,                           -- UUIDv7 made by the client, one per COMMIT attempt
            kind "char" NOT NULL DEFAULT 'c',                 -- c: written by the unit; f: fence written by a lookup
            xid xid8 NOT NULL DEFAULT pg_current_xact_id());  -- for forensics only
        """;

    /// <summary>Creates the table on first use if it is missing. Runs once per data source, outside any transaction.</summary>
    public async Task EnsureTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (_tableExists)
            return;
        if (!await ExistsAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var create = new NpgsqlCommand(CreateScript, connection);
                await using (create.ConfigureAwait(false))
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                throw new PgHaException(
                    $"The commit-marker table {Table} (used to resolve COMMITs cut off by a failover) does not exist, and this role may not create it ({ex.SqlState}: {ex.MessageText}). " +
                    $"Run as its owner:{Environment.NewLine}{CreateScript}{Environment.NewLine}and grant the application SELECT, INSERT, UPDATE, DELETE on it; or set PgHaOptions.ResolveInDoubtCommits = false.", ex);
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateSchema)
            {
                // Another client created it at the same moment.
            }
        }

        _tableExists = true;
    }

    /// <summary>
    /// The COMMIT of an attempt, in one round trip:
    /// <list type="number">
    /// <item><c>statement_timeout</c> off for the rest of the transaction (<c>SET LOCAL</c>): a role's or database's
    /// timeout would otherwise end COMMIT's wait for synchronous standbys, and PostgreSQL then commits locally and
    /// answers success. The server disarms a running timer at the next message, before COMMIT. It also fails with
    /// 25P02 if the unit swallowed an error, where a bare COMMIT would answer ROLLBACK;</item>
    /// <item>the marker, only if the transaction wrote anything (with no xid there is nothing to lose, and "absent"
    /// rightly means "safe to run again");</item>
    /// <item>COMMIT;</item>
    /// <item>for a session, the WAL insert position, which is past the commit record and so serves as the consistency token.</item>
    /// </list>
    /// </summary>
    public static NpgsqlBatch CommitBatch(NpgsqlConnection connection, NpgsqlTransaction transaction, CommitMarkers? markers, Guid? token, bool withPosition)
    {
        var batch = new NpgsqlBatch(connection, transaction) { Timeout = 0 };
        batch.BatchCommands.Add(new NpgsqlBatchCommand(StatementTimeoutOff));
        if (markers is not null && token is { } t)
            batch.BatchCommands.Add(new NpgsqlBatchCommand(markers._insertSql) { Parameters = { new() { Value = t } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        if (withPosition)
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_wal_insert_lsn()"));
        return batch;
    }

    private const string StatementTimeoutOff = "SELECT set_config('statement_timeout', '0', true)";

    /// <summary>
    /// The lookup: waits (up to <paramref name="lockTimeout"/>) for a transaction still holding the token's key, then
    /// returns its kind, or fences the token. It writes and commits, so when it answers "committed" under synchronous
    /// replication the unit's commit record, earlier in the WAL, is on the synchronous standbys too.
    /// </summary>
    public NpgsqlBatch LookupBatch(NpgsqlConnection connection, Guid token, TimeSpan lockTimeout)
    {
        var batch = new NpgsqlBatch(connection) { Timeout = 0 };
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', '0', true)") { Parameters = { new() { Value = $"{Math.Max(1, (long)lockTimeout.TotalMilliseconds)}ms" } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"INSERT INTO {Table} AS m (token, kind) VALUES ($1, '{Fenced}') ON CONFLICT (token) DO UPDATE SET kind = m.kind RETURNING m.kind::text AS kind") { Parameters = { new() { Value = token } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_current_wal_insert_lsn()"));
        return batch;
    }

    /// <summary>Reads a batch to its end (so the COMMIT in it has been answered) and returns the marker kind (a column named <c>kind</c>) and the LSN it produced.</summary>
    public static async Task<(string? Kind, NpgsqlLogSequenceNumber Lsn)> ReadBatchAsync(NpgsqlBatch batch)
    {
        string? kind = null;
        var lsn = default(NpgsqlLogSequenceNumber);
        var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
        await using var _ = reader.ConfigureAwait(false);
        do
        {
            while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var type = reader.GetFieldType(0);
                if (type == typeof(string) && reader.GetName(0) == "kind")
                    kind = reader.GetString(0);
                else if (type == typeof(NpgsqlLogSequenceNumber))
                    lsn = reader.GetFieldValue<NpgsqlLogSequenceNumber>(0);
            }
        }
        while (await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false));
        return (kind, lsn);
    }

    /// <summary>
    /// Deletes markers older than <paramref name="cutoff"/> in chunks. UUIDv7 tokens begin with their time, and
    /// PostgreSQL orders uuids bytewise, so "older than" is "below the smallest token of that instant".
    /// </summary>
    public async Task<long> SweepAsync(NpgsqlConnection connection, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var below = SmallestTokenAt(cutoff);
        var sweep = new NpgsqlCommand(
            $"DELETE FROM {Table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {Table} WHERE token < $1 LIMIT 5000))", connection);
        await using var _ = sweep.ConfigureAwait(false);
        sweep.Parameters.AddWithValue(below);
        long total = 0;
        int deleted;
        do
        {
            deleted = await sweep.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            total += deleted;
        }
        while (deleted == 5000);
        return total;
    }

    /// <summary>The UUIDv7 with the given millisecond timestamp and every other bit zero.</summary>
    internal static Guid SmallestTokenAt(DateTimeOffset instant)
    {
        var ms = instant.ToUnixTimeMilliseconds();
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < 6; i++)
            bytes[i] = (byte)(ms >> (8 * (5 - i)));
        bytes[6] = 0x70; // version 7
        bytes[8] = 0x80; // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }

    private async Task<bool> ExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
        await using var _ = exists.ConfigureAwait(false);
        exists.Parameters.AddWithValue(Table);
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
