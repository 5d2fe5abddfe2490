using Npgsql;
using NpgsqlTypes;

namespace PgHa.Client.Resilience.Internal;

internal sealed partial class UnitOfWorkRunner
{
    /// <summary>
    /// Commits a transaction someone else opened (an ORM's) exactly as a unit of work's attempt commits: with a
    /// marker, and with a COMMIT cut off in flight looked up on the new primary within the retry budget.
    /// </summary>
    public async Task<NpgsqlLogSequenceNumber> CommitExternalAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, bool wantsPosition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        if (!ReferenceEquals(transaction.Connection, connection))
            throw new InvalidOperationException("The transaction is completed or belongs to another connection.");
        // The table must exist before the marker is inserted; creating it inside the caller's transaction would tie
        // the DDL to it, so it is made once on a connection of its own.
        if (_markers is { TableExists: false })
            await _dataSource.EnsureCommitMarkerTableAsync(cancellationToken).ConfigureAwait(false);

        var state = new UnitState(_options.RetryBudget, isIdempotent: false, _time, options: null) { WantsPosition = wantsPosition };
        state.BeginAttempt();
        var node = EndPointOf(connection);
        var position = await CommitAsync(connection, transaction, node, state, cancellationToken).ConfigureAwait(false);
        _sweeper?.AfterWrite();
        return position;
    }
}
