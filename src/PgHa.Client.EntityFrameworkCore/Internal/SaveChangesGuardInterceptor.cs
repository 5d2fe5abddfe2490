using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// Refuses <c>SaveChanges</c> in a replica scope, and makes every <c>SaveChanges</c> run in a transaction so that
/// its COMMIT carries a commit marker.
/// </summary>
internal sealed class SaveChangesGuardInterceptor(PgHaContextState state) : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Prepare(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Prepare(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Prepare(DbContext? context)
    {
        if (context is null)
            return;
        if (state.ReplicaScopeDepth > 0)
            throw new InvalidOperationException(
                "SaveChanges was called inside a ReadFromReplica scope. The scope sends queries to read-only replicas; writes go to the primary. Dispose the scope before saving.");
        if (state.IsOpenOnReplica)
            throw new InvalidOperationException(
                "SaveChanges was called while the context's connection is still open on a replica (it was opened inside a ReadFromReplica scope). Close it (Database.CloseConnection) before saving, so the save opens a connection to the primary.");
        // EF saves a single statement in autocommit by default. Cut off in flight, such a statement could have
        // committed or not, with no marker to tell: in a transaction, its COMMIT carries one. (Never is respected;
        // a statement then cut off in flight is reported as in doubt, not run again.)
        if (context.Database.AutoTransactionBehavior == AutoTransactionBehavior.WhenNeeded)
            context.Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
    }
}
