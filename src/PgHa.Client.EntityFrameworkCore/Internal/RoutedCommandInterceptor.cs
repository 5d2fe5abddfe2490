using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using PgHa.Client.Resilience;
using PgHa.Client.Resilience.Internal;

namespace PgHa.Client.EntityFrameworkCore.Internal;

/// <summary>
/// Keeps EF's commands on the connection PgHa routed, and reports the failures only a command can see: a write
/// sent into a replica scope, and a write that ran outside a transaction and was cut off in flight.
/// </summary>
internal sealed class RoutedCommandInterceptor(PgHaContextState state) : DbCommandInterceptor
{
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        => Repoint(command, result);

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Repoint(command, result));

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        => Repoint(command, result);

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Repoint(command, result));

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => ThrowIfMeaningful(command, eventData);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        ThrowIfMeaningful(command, eventData);
        return Task.CompletedTask;
    }

    /// <summary>
    /// EF creates a non-query or scalar command on the connection object it holds and only then opens it; the open
    /// swapped that object for the routed connection, so the command is moved onto it. (Readers are created after
    /// the open.) No transaction is lost: a command created while one was active found the connection already open.
    /// </summary>
    private T Repoint<T>(DbCommand command, T result)
    {
        if (state.Replaced is { } replaced && ReferenceEquals(command.Connection, replaced) && state.Current is { } routed)
            command.Connection = routed;
        return result;
    }

    private void ThrowIfMeaningful(DbCommand command, CommandErrorEventData eventData)
    {
        if (!state.Manages(command.Connection))
            return;
        var failure = eventData.Exception;
        if (state.Role != TargetRole.Primary && failure is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction })
            throw new InvalidOperationException(
                "A statement that writes ran inside a ReadFromReplica scope, on a read-only replica. The scope is for queries: run writes (SaveChanges, ExecuteUpdate, ExecuteSql) after disposing it.", failure);
        if (IsCutOffAutocommitWrite(command, eventData))
            throw new PgHaCommitOutcomeUnknownException(
                $"The connection to {state.Node} failed while a statement that may write ran outside a transaction ({eventData.CommandSource}), so whether it took effect is unknown and it was not run again. "
                + "Only a transaction's COMMIT carries a commit marker PgHa can look up: run such writes inside a transaction (SaveChanges does this itself). " + failure.Message,
                state.Node ?? default, CommitOutcomeUnknownReason.ResolutionDisabled, token: null, state.DataSource.Topology, failure);
    }

    /// <summary>
    /// A statement in autocommit commits as it ends, with no marker: if its connection died with the statement in
    /// flight it may have committed, and running it again could apply it twice. Queries are safe to run again.
    /// </summary>
    private bool IsCutOffAutocommitWrite(DbCommand command, CommandErrorEventData eventData)
        => command.Transaction is null
           && state.Role == TargetRole.Primary
           && eventData.CommandSource is not (CommandSource.LinqQuery or CommandSource.FromSqlQuery or CommandSource.ValueGenerator or CommandSource.Scaffolding)
           && FailureClassifier.Classify(eventData.Exception).Retry == RetryKind.AfterFailover
           && !RetryDecision.IsAnsweredError(eventData.Exception, command.Connection);
}
