using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>Counts the INSERTs EF sends (so a test can tell an attempt ran again) and can run a fault right before or right after the first one.</summary>
public sealed class CountingCommandInterceptor(Action? afterFirstInsert = null, Action? beforeFirstInsert = null) : DbCommandInterceptor
{
    private int _inserts;

    public int Inserts => Volatile.Read(ref _inserts);

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Count(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Count(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Count(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Count(command);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (IsInsert(command) && Inserts == 1)
            afterFirstInsert?.Invoke();
        return ValueTask.FromResult(result);
    }

    private void Count(DbCommand command)
    {
        if (IsInsert(command) && Interlocked.Increment(ref _inserts) == 1)
            beforeFirstInsert?.Invoke();
    }

    private static bool IsInsert(DbCommand command) => command.CommandText.Contains("INSERT INTO orders", StringComparison.OrdinalIgnoreCase);
}
