using Npgsql;

namespace PgHa.Client;

public sealed partial class PgHaDataSource
{
    // BEGIN is sent by Npgsql together with this statement: one round trip for both.
    private const string SetReadOnly = "SET TRANSACTION READ ONLY";

    /// <summary>
    /// Opens a connection routed by <paramref name="role"/> (a lag-bounded replica by default) and starts a
    /// <c>READ ONLY</c> transaction on it, so every statement in it sees one snapshot and no write can slip in.
    /// </summary>
    public async Task<PgHaReadOnlyTransaction> BeginReadOnlyTransactionAsync(TargetRole role = TargetRole.Replica, CancellationToken cancellationToken = default)
    {
        var connection = await OpenConnectionAsync(role, cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var command = new NpgsqlCommand(SetReadOnly, connection, transaction);
            await using (command.ConfigureAwait(false))
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new PgHaReadOnlyTransaction(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts a <c>READ ONLY</c> transaction on a routed node; see <see cref="BeginReadOnlyTransactionAsync"/>.</summary>
    public PgHaReadOnlyTransaction BeginReadOnlyTransaction(TargetRole role = TargetRole.Replica)
    {
        var connection = OpenConnection(role);
        try
        {
            var transaction = connection.BeginTransaction();
            using (var command = new NpgsqlCommand(SetReadOnly, connection, transaction))
                command.ExecuteNonQuery();
            return new PgHaReadOnlyTransaction(connection, transaction);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
