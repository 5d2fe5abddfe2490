using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// Opens the connection for a context's next open: on the primary, or on a lag-bounded replica inside a
/// <c>ReadFromReplica</c> scope (through the session, when there is one, so the replica has the session's writes).
/// </summary>
internal static class ConnectionRouter
{
    public static async ValueTask<NpgsqlConnection> OpenAsync(PgHaContextState state, TargetRole role, DbContext context, CancellationToken cancellationToken)
    {
        var dataSource = state.DataSource;
        var maxWait = MaxWait(dataSource, context);
        if (NeedsNewerTopology(state, out var failedOn))
            await dataSource.WaitForTopologyChangeAsync(failedOn, maxWait, cancellationToken).ConfigureAwait(false);
        state.FailedOnVersion = -1;
        if (role != TargetRole.Primary && state.Session is { } session)
            return await dataSource.OpenConsistentAsync(role, session.ConsistencyToken, cancellationToken, maxWait).ConfigureAwait(false);
        return await dataSource.OpenForUnitAsync(role, maxWait, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The sync twin, for EF's sync API. It blocks the calling thread for as long as the async open would wait.</summary>
    public static NpgsqlConnection Open(PgHaContextState state, TargetRole role, DbContext context)
    {
        var dataSource = state.DataSource;
        if (NeedsNewerTopology(state, out var failedOn))
            dataSource.WaitForTopologyChangeAsync(failedOn, MaxWait(dataSource, context)).GetAwaiter().GetResult();
        state.FailedOnVersion = -1;
        if (role != TargetRole.Primary && state.Session is { } session)
            return dataSource.OpenConsistentAsync(role, session.ConsistencyToken, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return dataSource.OpenConnection(role);
    }

    /// <summary>After a node failure, route only on a snapshot taken after the watchdog re-probed the failed node.</summary>
    private static bool NeedsNewerTopology(PgHaContextState state, out long failedOn)
    {
        failedOn = state.FailedOnVersion;
        return failedOn >= 0 && state.DataSource.Topology.Version == failedOn;
    }

    /// <summary>Inside a PgHa execution strategy, what is left of its retry budget; otherwise the data source's node wait.</summary>
    private static TimeSpan MaxWait(PgHaDataSource dataSource, DbContext context)
        => ExecutionStrategy.Current is PgHaExecutionStrategy strategy && ReferenceEquals(strategy.Context, context)
            ? Max(strategy.RemainingBudget, TimeSpan.Zero)
            : dataSource.Options.NodeWaitTimeout;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
