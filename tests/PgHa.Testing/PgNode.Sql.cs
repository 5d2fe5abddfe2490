using System.Globalization;
using Npgsql;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

public sealed partial class PgNode
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProbeConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Runs a query on this node over a fresh, unpooled connection and returns the first column of the first row.</summary>
    /// <typeparam name="T">The expected type; numeric values are converted when they differ (e.g. <c>bigint</c> to <see cref="int"/>).</typeparam>
    /// <param name="sql">The query.</param>
    /// <param name="ct">Cancels the query.</param>
    /// <returns>The value, or <see langword="default"/> when there is no row or it is NULL.</returns>
    public Task<T?> ExecuteScalarAsync<T>(string sql, CancellationToken ct = default) => QueryAsync<T>(sql, [], ct);

    /// <summary>Runs a statement on this node over a fresh, unpooled connection.</summary>
    /// <param name="sql">The statement(s).</param>
    /// <param name="ct">Cancels the statement.</param>
    /// <returns>A task that completes when the statement has run.</returns>
    public Task ExecuteAsync(string sql, CancellationToken ct = default) => ExecuteAsync(sql, database: null, ct);

    internal async Task ExecuteAsync(string sql, string? database, CancellationToken ct)
    {
        await using var connection = await OpenAsync(database, ConnectTimeout, ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Runs a query with positional parameters (<c>$1</c>, <c>$2</c>, ...).</summary>
    internal async Task<T?> QueryAsync<T>(string sql, object[] parameters, CancellationToken ct, TimeSpan? connectTimeout = null)
    {
        await using var connection = await OpenAsync(null, connectTimeout ?? ConnectTimeout, ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return Convert<T>(await command.ExecuteScalarAsync(ct));
    }

    /// <summary>"primary", "replica", or why the node could not tell.</summary>
    internal async Task<string> ProbeRoleAsync(CancellationToken ct)
    {
        try
        {
            var inRecovery = await QueryAsync<bool>("SELECT pg_is_in_recovery()", [], ct, ProbeConnectTimeout);
            return inRecovery ? "replica" : "primary";
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return $"unreachable ({e.Message})";
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(string? database, TimeSpan connectTimeout, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ConnectionStrings.Admin(Host, Port, _context, database, connectTimeout));
        try
        {
            await connection.OpenAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static T? Convert<T>(object? value) => value switch
    {
        null or DBNull => default,
        T typed => typed,
        _ => (T)System.Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), CultureInfo.InvariantCulture),
    };
}
