using Npgsql;

namespace PgHa.Client;

/// <summary>
/// A <c>READ ONLY</c> transaction on a routed node, with the connection it owns. Disposing it rolls back what was
/// not committed and returns the connection to its pool.
/// </summary>
public sealed class PgHaReadOnlyTransaction : IAsyncDisposable, IDisposable
{
    internal PgHaReadOnlyTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        Connection = connection;
        Transaction = transaction;
    }

    /// <summary>The connection the transaction runs on.</summary>
    public NpgsqlConnection Connection { get; }

    /// <summary>The transaction; commands must be enlisted in it (<see cref="CreateCommand"/> does that).</summary>
    public NpgsqlTransaction Transaction { get; }

    /// <summary>A command on this transaction's connection, enlisted in it.</summary>
    public NpgsqlCommand CreateCommand(string? commandText = null) => new(commandText, Connection, Transaction);

    /// <summary>Ends the transaction. A read-only transaction has nothing to persist; committing releases its snapshot.</summary>
    public Task CommitAsync(CancellationToken cancellationToken = default) => Transaction.CommitAsync(cancellationToken);

    /// <summary>Ends the transaction.</summary>
    public void Commit() => Transaction.Commit();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync().ConfigureAwait(false);
        await Connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Transaction.Dispose();
        Connection.Dispose();
    }
}
