using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using PgHa.Client.Topology.Internal;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// Opens the connection for a context's next open: on the primary, or on a lag-bounded replica inside a
/// <c>ReadFromReplica</c> scope (through the session, when there is one, so the replica has the session's writes).
/// Inside a PgHa execution strategy, the time an open waits for the cluster is spent from its retry budget.
/// </summary>
internal static class ConnectionRouter
{
    public static async ValueTask<NpgsqlConnection> OpenAsync(PgHaContextState state, TargetRole role, DbContext context, CancellationToken cancellationToken)
    {
        var dataSource = state.DataSource;
        var strategy = StrategyOf(context);
        var maxWait = MaxWait(dataSource, strategy);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await dataSource.WaitUntilAccountedForAsync(state.LastFailure, maxWait, cancellationToken).ConfigureAwait(false);
            state.LastFailure = NodeFailureMark.None;
            if (role != TargetRole.Primary && state.Session is { } session)
                return await dataSource.OpenConsistentAsync(role, session.ConsistencyToken, cancellationToken, maxWait).ConfigureAwait(false);
            return await dataSource.OpenForUnitAsync(role, maxWait, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            strategy?.SpentWaiting(TimeProvider.System.GetElapsedTime(started));
        }
    }

    /// <summary>The sync twin, for EF's sync API. It blocks the calling thread for as long as the async open would wait.</summary>
    public static NpgsqlConnection Open(PgHaContextState state, TargetRole role, DbContext context)
    {
        var dataSource = state.DataSource;
        var strategy = StrategyOf(context);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            dataSource.WaitUntilAccountedForAsync(state.LastFailure, MaxWait(dataSource, strategy), CancellationToken.None).GetAwaiter().GetResult();
            state.LastFailure = NodeFailureMark.None;
            if (role != TargetRole.Primary && state.Session is { } session)
                return dataSource.OpenConsistentAsync(role, session.ConsistencyToken, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return dataSource.OpenConnection(role);
        }
        finally
        {
            strategy?.SpentWaiting(TimeProvider.System.GetElapsedTime(started));
        }
    }

    /// <summary>The PgHa execution strategy running an operation of this context now, if any.</summary>
    private static PgHaExecutionStrategy? StrategyOf(DbContext context)
        => ExecutionStrategy.Current is PgHaExecutionStrategy strategy && ReferenceEquals(strategy.Context, context) ? strategy : null;

    /// <summary>Inside a PgHa execution strategy, what is left of its retry budget; otherwise the data source's node wait.</summary>
    private static TimeSpan MaxWait(PgHaDataSource dataSource, PgHaExecutionStrategy? strategy)
        => strategy is not null ? Max(strategy.RemainingBudget, TimeSpan.Zero) : dataSource.Options.NodeWaitTimeout;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
