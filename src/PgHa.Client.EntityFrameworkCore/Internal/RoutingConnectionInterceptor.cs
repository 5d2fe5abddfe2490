using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// Routes every open of the context's connection. EF opens a connection object it holds; PgHa instead opens one
/// on the node the role routes to now, gives it to the context in place of the old object (the context owns and
/// disposes it) and tells EF the open is done. So each open decides afresh: after a failover, the next open of
/// even a pooled context reaches the new primary.
/// </summary>
internal sealed class RoutingConnectionInterceptor(PgHaContextState state) : DbConnectionInterceptor
{
    // EF creates its connection object before the first open. PgHa replaces it at that open, so it gets an empty
    // one: creating it through the data source would pick a node, and possibly wait for one, for nothing.
    public override InterceptionResult<DbConnection> ConnectionCreating(ConnectionCreatingEventData eventData, InterceptionResult<DbConnection> result)
        => result.HasResult ? result : InterceptionResult<DbConnection>.SuppressWithResult(state.CreatePlaceholder());

    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (result.IsSuppressed || eventData.Context is not { } context || !ShouldRoute(connection, context))
            return result;
        var role = state.RoleForNextOpen;
        Install(context, connection, ConnectionRouter.Open(state, role, context), role);
        return InterceptionResult.Suppress();
    }

    public override async ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (result.IsSuppressed || eventData.Context is not { } context || !ShouldRoute(connection, context))
            return result;
        var role = state.RoleForNextOpen;
        Install(context, connection, await ConnectionRouter.OpenAsync(state, role, context, cancellationToken).ConfigureAwait(false), role);
        return InterceptionResult.Suppress();
    }

    private bool ShouldRoute(DbConnection connection, DbContext context)
    {
        if (state.Manages(connection))
            return true;
        // A connection the application set (SetDbConnection), or one Npgsql's provider made for itself (the admin
        // connection that creates databases): PgHa leaves it alone, but cannot then honour a replica scope.
        if (state.ReplicaScopeDepth > 0 && ReferenceEquals(connection, context.Database.GetDbConnection()))
            throw new InvalidOperationException(
                "A ReadFromReplica scope is active but the context's connection was set by the application (SetDbConnection), so PgHa cannot route it. Let UsePgHa create the connections.");
        return false;
    }

    private void Install(DbContext context, DbConnection replaced, NpgsqlConnection routed, TargetRole role)
    {
        var database = context.Database;
        // Swapping the connection resets EF's connection state, the command timeout included.
        var commandTimeout = database.GetCommandTimeout();
        try
        {
            // Disposes the connection it replaces: the placeholder, or the last routed one, already closed.
            database.SetDbConnection(routed, contextOwnsConnection: true);
        }
        catch (Exception ex)
        {
            routed.Dispose();
            if (ex is InvalidOperationException)
                throw new InvalidOperationException(
                    "PgHa could not route the context's connection: it was opened explicitly (Database.OpenConnection) and has since broken or been closed underneath. "
                    + "An explicitly opened connection cannot be moved to another node while EF counts it open; close it (Database.CloseConnection) and run the work again.", ex);
            throw;
        }

        database.SetCommandTimeout(commandTimeout);
        state.Installed(routed, role, replaced);
    }
}
