using PgHa.Client;
using PgHa.Client.EntityFrameworkCore.Internal;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Replica reads for a context configured with <c>UsePgHa</c>.</summary>
public static class PgHaDbContextExtensions
{
    /// <summary>
    /// Begins a scope in which the context's connection opens on a lag-bounded replica
    /// (<see cref="TargetRole.Replica"/>: within <see cref="PgHaOptions.MaxReplicaLag"/>, else as
    /// <see cref="PgHaOptions.ReplicaFallback"/> says; with a session given to <c>UsePgHa</c>, one that has the
    /// session's writes). Outside any scope, every open goes to the primary. Scopes nest; dispose each one.
    /// <code>
    /// using (db.ReadFromReplica())
    /// {
    ///     var orders = await db.Orders.Where(o => o.Customer == id).ToListAsync(ct);
    /// }
    /// </code>
    /// </summary>
    /// <remarks>
    /// <para>Routing happens when the connection opens, which for a query is when it runs (<c>ToListAsync</c>), not
    /// when it is composed. A query enumerated after the scope ends reads on the primary.</para>
    /// <para>The scope is for queries. <c>SaveChanges</c> and beginning a transaction inside it throw
    /// <see cref="InvalidOperationException"/>; a raw write (<c>ExecuteSql</c>, <c>ExecuteUpdate</c>) fails on the
    /// read-only replica with an <see cref="InvalidOperationException"/> that says so.</para>
    /// <para>Why a scope and not a query tag (<c>TagWith</c>): EF runs command interceptors after the connection is
    /// open, so routing by tag would need a second connection for the tagged query, splitting one context over two
    /// connections and two snapshots of the data. A scope decides before the open, so the context keeps one
    /// connection at a time.</para>
    /// </remarks>
    /// <returns>The scope; dispose it to end it (disposing twice is harmless).</returns>
    /// <exception cref="InvalidOperationException">The context is not configured with <c>UsePgHa</c>; or, when no
    /// scope is open yet, its connection is already open (PgHa routes at open time, so it would stay where it is),
    /// a transaction is active, or the application set the connection itself.</exception>
    public static IDisposable ReadFromReplica(this DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ReplicaScope.Enter(context);
    }
}
