using Npgsql;
using NpgsqlTypes;
using PgHa.Client.Routing.Internal;

namespace PgHa.Client;

public sealed partial class PgHaDataSource
{
    /// <summary>Starts a read-your-writes session, optionally from a token carried over from an earlier request.</summary>
    public PgHaSession CreateSession(PgHaConsistencyToken start = default)
    {
        ThrowIfDisposed();
        return new PgHaSession(this, start);
    }

    /// <summary>
    /// Opens a reading connection on a node that has replayed up to <paramref name="token"/>: a replica the
    /// snapshot already shows that far (no extra round trip); else a lag-bounded replica asked for its replay
    /// position until it gets there, for up to <see cref="PgHaOptions.ReadYourWritesWait"/>; else the primary
    /// (or, for <see cref="TargetRole.Replica"/> with <see cref="ReplicaFallback.Throw"/>, an exception).
    /// </summary>
    internal async ValueTask<NpgsqlConnection> OpenConsistentAsync(TargetRole role, PgHaConsistencyToken token, CancellationToken cancellationToken, TimeSpan? maxWait = null)
    {
        ThrowIfDisposed();
        var wait = maxWait ?? _options.NodeWaitTimeout;
        if (role == TargetRole.Primary || token.IsNone)
            return await OpenRoutedAsync(_requests[(int)role], wait, async: true, cancellationToken).ConfigureAwait(false);

        // Replica semantics for the snapshot check (PreferReplica would settle for the primary at once); Any may
        // take the primary, which has everything anyway.
        var caughtUp = _requests[(int)(role == TargetRole.Any ? TargetRole.Any : TargetRole.Replica)] with { MinReplayPosition = (ulong)token.Position, Fallback = ReplicaFallback.Throw };
        if (NodeSelector.Select(_monitor.Current, caughtUp, _outstanding, NextTicket(), out _) == RouteOutcome.Selected)
            return await OpenRoutedAsync(caughtUp with { Fallback = ReplicaFallback.Primary }, wait, async: true, cancellationToken).ConfigureAwait(false);

        var anyReplica = _requests[(int)TargetRole.Replica] with { Fallback = ReplicaFallback.Throw };
        if (NodeSelector.Select(_monitor.Current, anyReplica, _outstanding, NextTicket(), out _) == RouteOutcome.Selected)
        {
            var connection = await OpenRoutedAsync(anyReplica with { Fallback = ReplicaFallback.Primary }, wait, async: true, cancellationToken).ConfigureAwait(false);
            try
            {
                if (await ReplaysUpToAsync(connection, token.Position, cancellationToken).ConfigureAwait(false))
                    return connection;
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }

        if (role == TargetRole.Replica && _options.ReplicaFallback == ReplicaFallback.Throw)
            throw new PgHaException($"No replica replayed up to consistency token {token} within {_options.ReadYourWritesWait.TotalMilliseconds:0} ms, and ReplicaFallback is Throw. {_monitor.Current}", _monitor.Current);
        return await OpenRoutedAsync(_requests[(int)TargetRole.Primary], wait, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls the node's replay position until it reaches <paramref name="position"/> or the wait is over; a primary (no replay position) has everything.</summary>
    private async Task<bool> ReplaysUpToAsync(NpgsqlConnection connection, NpgsqlLogSequenceNumber position, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(1);
        var probe = new NpgsqlCommand("SELECT pg_last_wal_replay_lsn()", connection);
        await using (probe.ConfigureAwait(false))
        {
            while (true)
            {
                if (await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not NpgsqlLogSequenceNumber replayed || replayed >= position)
                    return true;
                var left = _options.ReadYourWritesWait - _time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                    return false;
                await Task.Delay(pause < left ? pause : left, _time, cancellationToken).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(20).Ticks));
            }
        }
    }
}
