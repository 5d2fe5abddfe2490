using Npgsql;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// Watches a COMMIT's connection for the warning PostgreSQL sends when something cancels the COMMIT's wait for
/// synchronous standbys (pg_cancel_backend, a statement timeout): the COMMIT then answers success although the
/// transaction is committed on the primary only. The warning carries no SQLSTATE of its own (01000), so it is known by
/// its text, which is PostgreSQL's English one unless the server's lc_messages translates it.
/// </summary>
internal sealed class SyncReplicationNotices : IDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NoticeEventHandler _onNotice;
    private int _disposed;

    public SyncReplicationNotices(NpgsqlConnection connection)
    {
        _connection = connection;
        _onNotice = OnNotice;
        connection.Notice += _onNotice;
    }

    /// <summary>The cancellation warning, if one arrived.</summary>
    public PostgresNotice? CancelledWait { get; private set; }

    public static bool IsCancelledWait(PostgresNotice notice)
        => notice.InvariantSeverity == "WARNING" && notice.SqlState == PostgresErrorCodes.Warning
           && notice.MessageText.Contains("wait for synchronous replication", StringComparison.Ordinal);

    private void OnNotice(object sender, NpgsqlNoticeEventArgs e)
    {
        if (IsCancelledWait(e.Notice))
            CancelledWait = e.Notice;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _connection.Notice -= _onNotice;
    }
}
