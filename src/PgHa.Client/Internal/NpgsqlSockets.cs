using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;

namespace PgHa.Client.Internal;

/// <summary>
/// Reaches the socket under an open <see cref="NpgsqlConnection"/>, which Npgsql does not expose. PgHa needs it for two
/// things Npgsql has no public way to do:
/// <list type="bullet">
/// <item>releasing work in flight on a node the watchdog declared lost. Cancelling an Npgsql command first sends the
/// server a cancel request on a new connection, which against a frozen or cut-off node blocks for seconds, and which
/// must never reach a COMMIT. Shutting the socket down instead ends every pending read and write at once, as if the
/// server had closed the connection: Npgsql breaks the connection through its ordinary path and the caller sees the
/// usual "connection lost" error;</item>
/// <item>not handing out a pooled connection the server has already closed (idle_session_timeout, a terminated
/// backend): the socket of an idle connection has something to read only then, or for a notification.</item>
/// </list>
/// The accessors name Npgsql internals (<c>NpgsqlConnection.Connector</c>, <c>NpgsqlConnector._socket</c>), stable
/// through Npgsql 10.0.x, which is the range the package depends on; <see cref="EnsureSupported"/> fails the data
/// source's build with a clear message should another Npgsql not have them, rather than silently losing the release.
/// </summary>
internal static class NpgsqlSockets
{
    private const string ConnectorType = "Npgsql.Internal.NpgsqlConnector, Npgsql";

    /// <summary>The socket of an open connection; <see langword="null"/> when it has none (closed, broken, multiplexing).</summary>
    public static Socket? Of(NpgsqlConnection connection)
        => Connector(connection) is { } connector ? SocketField(connector) : null;

    /// <summary>The physical connection an open connection borrows from its pool, as an opaque key; <see langword="null"/> when it has none.</summary>
    public static object? ConnectorOf(NpgsqlConnection connection) => Connector(connection);

    /// <summary>Ends every pending and future read and write on the connection's socket, without telling the server
    /// anything beyond the TCP close. Safe from any thread; does nothing when there is no socket any more.</summary>
    /// <returns>Whether a socket was shut down.</returns>
    public static bool Shutdown(NpgsqlConnection connection)
    {
        try
        {
            if (Of(connection) is not { } socket)
                return false;
            socket.Shutdown(SocketShutdown.Both);
            return true;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return false; // closed or broken meanwhile: nothing left to release
        }
    }

    /// <summary>
    /// Whether an idle connection has input waiting: the server closed it (EOF, or a FATAL error such as 57P05 before
    /// the close) or sent a notification. One non-blocking poll.
    /// </summary>
    public static bool HasInput(NpgsqlConnection connection)
    {
        try
        {
            return Of(connection) is { } socket && socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return true;
        }
    }

    /// <summary>Throws <see cref="NotSupportedException"/> if this Npgsql lacks the internals PgHa reaches for.</summary>
    public static void EnsureSupported()
    {
        try
        {
            using var connection = new NpgsqlConnection();
            _ = Connector(connection);
            // Binding happens at the first call: a missing field throws MissingFieldException, a present one then
            // finds no object to read from.
            _ = SocketField(null!);
        }
        catch (NullReferenceException)
        {
        }
        catch (Exception ex) when (ex is MissingMemberException or TypeLoadException)
        {
            throw new NotSupportedException(
                $"PgHa releases work in flight on a lost node through Npgsql internals it knows in Npgsql 10.0.x, but this Npgsql " +
                $"({typeof(NpgsqlConnection).Assembly.GetName().Version}) does not have them. Use the Npgsql version PgHa's package depends on.", ex);
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Connector")]
    [return: UnsafeAccessorType(ConnectorType)]
    private static extern object? Connector(NpgsqlConnection connection);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_socket")]
    private static extern ref Socket? SocketField([UnsafeAccessorType(ConnectorType)] object connector);
}
