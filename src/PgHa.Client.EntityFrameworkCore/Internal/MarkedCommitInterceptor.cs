using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// Commits EF's transactions on the primary through <see cref="PgHaDataSource.CommitAsync"/>: a commit marker
/// travels with the COMMIT, so a COMMIT cut off by a failover is looked up on the new primary instead of guessed
/// at. EF is then told the commit is done. Transactions are refused on replica connections.
/// </summary>
internal sealed class MarkedCommitInterceptor(PgHaContextState state) : DbTransactionInterceptor
{
    public override InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        if (RefuseOnReplica(connection, eventData.Context) is { } refusal)
        {
            eventData.Context!.Database.CloseConnection();
            throw refusal;
        }

        return result;
    }

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        if (RefuseOnReplica(connection, eventData.Context) is { } refusal)
        {
            await eventData.Context!.Database.CloseConnectionAsync().ConfigureAwait(false);
            throw refusal;
        }

        return result;
    }

    // Sync over async: PgHa's COMMIT path (marker, in-doubt lookup) exists only as async. It never captures a
    // synchronization context, so blocking on it cannot deadlock; it only holds the thread, as sync EF does anyway.
    public override InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        if (result.IsSuppressed || transaction is not NpgsqlTransaction npgsql || !state.IsPrimaryConnection(npgsql.Connection))
            return result;
        CommitAsync(npgsql).GetAwaiter().GetResult();
        return InterceptionResult.Suppress();
    }

    /// <remarks>
    /// The caller's cancellation token is not passed on. PgHa never cancels a COMMIT (cancelling one that waits for a
    /// synchronous standby makes PostgreSQL commit it locally and answer success); told to stop, it would leave the
    /// COMMIT running on the connection, and EF would then dispose the transaction on that same connection while the
    /// COMMIT is read. So the COMMIT runs to an answer: on a node that stops answering, the watchdog releases the
    /// connection once it declares the node lost, and the lookup of the cut-off COMMIT is bounded by the retry budget.
    /// </remarks>
    public override async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (result.IsSuppressed || transaction is not NpgsqlTransaction npgsql || !state.IsPrimaryConnection(npgsql.Connection))
            return result;
        await CommitAsync(npgsql).ConfigureAwait(false);
        return InterceptionResult.Suppress();
    }

    private async Task CommitAsync(NpgsqlTransaction transaction)
    {
        var session = state.Session;
        var token = await state.DataSource.CommitAsync(transaction, withConsistencyToken: session is not null, CancellationToken.None).ConfigureAwait(false);
        session?.Observe(token);
    }

    private InvalidOperationException? RefuseOnReplica(DbConnection connection, DbContext? context)
        => context is not null && state.Manages(connection) && state.Role is not TargetRole.Primary
            ? new InvalidOperationException(
                "A transaction was begun on a replica connection (inside a ReadFromReplica scope, or on a connection opened in one). "
                + "Transactions go to the primary: end the scope, and close any connection opened in it, before beginning one.")
            : null;
}
