using Npgsql;

namespace PgHa.Client.Internal;

/// <summary>Opens a routed connection on its node, refusing one that must not be handed out.</summary>
internal static class NodeConnectionOpener
{
    /// <summary>
    /// A pooled connection back in use within this is handed out unchecked: no server or NAT closes a session for
    /// being idle that briefly, and the check is a system call each open would pay (HikariCP skips its check for
    /// connections used within 500 ms, too).
    /// </summary>
    internal static readonly TimeSpan CheckIfIdleFor = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Opens <paramref name="connection"/>; <see langword="false"/> (and the connection disposed) when it must not be
    /// handed out: the server already closed it while it sat in the pool, or its node was declared lost while it opened.
    /// A pooled open completes at once; a new physical one races the node's loss, since a frozen node accepts the TCP
    /// connection and then never answers the startup.
    /// </summary>
    public static async ValueTask<bool> OpenAsync(ClusterNode node, NpgsqlConnection connection, CancellationTokenSource loss, bool async, CancellationToken cancellationToken)
    {
        if (!async)
        {
            connection.Open();
        }
        else
        {
            var open = connection.OpenAsync(cancellationToken);
            if (!open.IsCompleted)
            {
                try
                {
                    await open.WaitAsync(loss.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (loss.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // The node was lost while this open waited (the open may have finished in the same instant: its
                    // connection is on a lost node all the same).
                    _ = DisposeWhenDoneAsync(open, connection);
                    return false;
                }
            }
            else
            {
                await open.ConfigureAwait(false);
            }
        }

        if (loss.IsCancellationRequested || (WasIdle(node, connection) && NpgsqlSockets.HasInput(connection) && !await IsStillOpenAsync(connection, async).ConfigureAwait(false)))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private static bool WasIdle(ClusterNode node, NpgsqlConnection connection) => node.Connections.IdleBefore(connection) >= CheckIfIdleFor;

    /// <summary>An idle connection with input waiting: read it. A notification leaves it usable; an EOF or a FATAL
    /// error (57P05 idle-session timeout, 57P01 terminated) breaks it, and it is dropped from the pool.</summary>
    private static async ValueTask<bool> IsStillOpenAsync(NpgsqlConnection connection, bool async)
    {
        try
        {
            if (async)
                await connection.WaitAsync(1).ConfigureAwait(false);
            else
                connection.Wait(1);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
        {
            return false;
        }

        return connection.State == System.Data.ConnectionState.Open;
    }

    private static async Task DisposeWhenDoneAsync(Task open, NpgsqlConnection connection)
    {
        try
        {
            await open.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The open was given up on when its node was declared lost; how it ends changes nothing.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
