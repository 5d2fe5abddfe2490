using System.Data;
using Microsoft.EntityFrameworkCore;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>One <c>ReadFromReplica</c> scope: while any is open on a context, its connection opens on a replica.</summary>
internal sealed class ReplicaScope : IDisposable
{
    private readonly PgHaContextState _state;
    private readonly int _lease;
    private bool _disposed;

    private ReplicaScope(PgHaContextState state)
    {
        _state = state;
        _lease = state.Lease;
        state.EnterReplicaScope();
    }

    public static ReplicaScope Enter(DbContext context)
    {
        var state = PgHaContextState.Of(context)
            ?? throw new InvalidOperationException($"ReadFromReplica needs a context configured with UsePgHa; {context.GetType().Name} is not.");
        // Nested scopes find the connection as the outer scope left it, which is fine: it is a replica connection.
        if (state.ReplicaScopeDepth == 0)
            ThrowIfConnectionIsCommitted(context, state);
        return new ReplicaScope(state);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _state.ExitReplicaScope(_lease);
    }

    /// <summary>PgHa routes a connection when it opens: one already open, or in a transaction, stays where it is.</summary>
    private static void ThrowIfConnectionIsCommitted(DbContext context, PgHaContextState state)
    {
        if (context.Database.CurrentTransaction is not null)
            throw new InvalidOperationException(
                "ReadFromReplica was called while a transaction is active. A transaction runs on the primary and its reads belong to it: read outside the transaction, or in it without the scope.");
        var connection = context.Database.GetDbConnection();
        if (!state.Manages(connection))
            throw new InvalidOperationException(
                "ReadFromReplica was called on a context whose connection was set by the application (SetDbConnection); PgHa routes only the connections it opens.");
        if (connection.State == ConnectionState.Open)
            throw new InvalidOperationException(
                $"ReadFromReplica was called while the context's connection is open (on {state.Node}, opened for {state.Role}). PgHa routes a connection when it opens, so a scope "
                + "must begin before the connection opens: close it first (Database.CloseConnection), or begin the scope before opening it.");
    }
}
