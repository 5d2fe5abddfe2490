using Npgsql;
using PgHa.Client.Internal;
using PgHa.Client.Resilience.Internal;

namespace PgHa.Client.Topology.Internal;

/// <summary>
/// The watchdog of one node: a dedicated monitoring connection outside the application's pool, a probe per
/// interval, and between probes a pending read on the connection, so a crash or shutdown (EOF, 57P01) is
/// noticed the moment the server closes the socket rather than at the next probe.
/// </summary>
internal sealed class NodeMonitor
{
    // Idle waits are cut into slices so a wake-up (no primary any more, a failure seen on the request path)
    // is acted on within one slice; a slice is a socket read with a timeout, not a round trip.
    private static readonly TimeSpan IdleSlice = TimeSpan.FromMilliseconds(100);

    private readonly ClusterNode _node;
    private readonly TopologyMonitor _owner;
    private readonly TimeSpan _probeTimeout;
    private readonly TimeProvider _time;
    private int _wakeRequested;
    private TaskCompletionSource _wakeSignal = NewSignal();
    private string? _pendingCause;

    public NodeMonitor(ClusterNode node, TopologyMonitor owner, TimeSpan probeTimeout, TimeProvider time)
    {
        _node = node;
        _owner = owner;
        _probeTimeout = probeTimeout;
        _time = time;
    }

    /// <summary>Probe now instead of at the end of the current interval.</summary>
    public void Wake(string? cause = null)
    {
        if (cause is not null)
            _pendingCause ??= cause;
        Volatile.Write(ref _wakeRequested, 1);
        Interlocked.Exchange(ref _wakeSignal, NewSignal()).TrySetResult();
    }

    public async Task RunAsync(CancellationToken stop)
    {
        NpgsqlConnection? connection = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Volatile.Write(ref _wakeRequested, 0);
                var cause = Interlocked.Exchange(ref _pendingCause, null) ?? "probe";
                var reused = connection is not null;
                try
                {
                    connection ??= await ConnectAsync(stop).ConfigureAwait(false);
                    var result = await ProbeAsync(connection, stop).ConfigureAwait(false);
                    _owner.OnProbeSucceeded(_node.Index, result, cause);
                }
                catch (AbandonedProbeException) when (stop.IsCancellationRequested)
                {
                    connection = null; // the background clean-up owns it now
                    return;
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    if (ex is not AbandonedProbeException)
                        await DiscardAsync(connection).ConfigureAwait(false);
                    connection = null;
                    var kind = ex is OperationCanceledException or TimeoutException ? NodeFailureKind.Timeout : FailureClassifier.Classify(ex).Node;
                    // The server closed the session the probe ran on (idle_session_timeout, a terminated backend): that
                    // says nothing about the node. Probe again at once on a new connection, which decides.
                    if (reused && kind == NodeFailureKind.Unreachable && ex is not AbandonedProbeException)
                    {
                        _pendingCause ??= ex is PostgresException pg ? $"connection-lost:{pg.SqlState}" : "connection-lost";
                        continue;
                    }

                    var probeAgainNow = _owner.OnProbeFailed(_node.Index, ex, kind, cause);
                    if (!probeAgainNow)
                        await DelayAsync(_owner.ProbeIntervalFor(_node.Index), stop).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    await IdleAsync(connection, stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    // The server closed our connection. Reconnect and probe at once: a refusal marks the node
                    // down within milliseconds, while a node that merely terminated our backend stays up.
                    await DiscardAsync(connection).ConfigureAwait(false);
                    connection = null;
                    _pendingCause ??= ex is PostgresException pg ? $"connection-lost:{pg.SqlState}" : "connection-lost";
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await DiscardAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>Opens the monitoring connection, racing a timer for the same reason as <see cref="ProbeAsync"/>:
    /// Npgsql does not abandon a startup handshake with a frozen server when cancelled.</summary>
    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken stop)
    {
        var connection = _node.MonitorSource.CreateConnection();
        var opening = connection.OpenAsync(CancellationToken.None);
        if (await CompletesInTimeAsync(opening, stop).ConfigureAwait(false))
        {
            try
            {
                await opening.ConfigureAwait(false);
                return connection;
            }
            catch
            {
                await DiscardAsync(connection).ConfigureAwait(false);
                throw;
            }
        }

        _ = DisposeWhenDoneAsync(opening, connection);
        stop.ThrowIfCancellationRequested();
        throw new TimeoutException($"No answer to the connection attempt within {_probeTimeout.TotalMilliseconds:0} ms.");
    }

    private async Task<bool> CompletesInTimeAsync(Task operation, CancellationToken stop)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var deadline = Task.Delay(_probeTimeout, _time, timer.Token);
        var first = await Task.WhenAny(operation, deadline).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        return first == operation;
    }

    /// <summary>
    /// Runs the probe without a cancellation token: cancelling an Npgsql command first sends PostgreSQL a cancel
    /// request synchronously, which against a frozen server blocks for seconds. Instead the probe races a timer;
    /// on timeout its connection's socket is shut down (nothing is sent to the server), the connection is disposed
    /// once the probe has failed, and the caller opens a new one.
    /// </summary>
    private async Task<ProbeResult> ProbeAsync(NpgsqlConnection connection, CancellationToken stop)
    {
        var command = new NpgsqlCommand(ProbeQuery.Sql, connection) { CommandTimeout = 0 };
        var probe = ProbeQuery.RunAsync(command, _time, CancellationToken.None);
        if (await CompletesInTimeAsync(probe, stop).ConfigureAwait(false))
        {
            await command.DisposeAsync().ConfigureAwait(false);
            return await probe.ConfigureAwait(false);
        }

        // Without this the abandoned connection would live as long as its socket: forever, behind a dropped link.
        NpgsqlSockets.Shutdown(connection);
        _ = DisposeWhenDoneAsync(probe, connection, command);
        throw new AbandonedProbeException(_probeTimeout);
    }

    private static async Task DisposeWhenDoneAsync(Task operation, NpgsqlConnection connection, NpgsqlCommand? command = null)
    {
        try
        {
            await operation.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The operation was already given up on; how it ends no longer matters.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        if (command is not null)
            await command.DisposeAsync().ConfigureAwait(false);
        await DiscardAsync(connection).ConfigureAwait(false);
    }

    private async Task IdleAsync(NpgsqlConnection connection, CancellationToken stop)
    {
        var started = _time.GetTimestamp();
        while (Volatile.Read(ref _wakeRequested) == 0)
        {
            var remaining = _owner.ProbeIntervalFor(_node.Index) - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
                return;
            var slice = remaining < IdleSlice ? remaining : IdleSlice;
            // WaitAsync returns true on a notification or a ParameterStatus push (e.g. in_hot_standby flipping
            // after a promotion), and throws when the server ends the connection.
            if (await connection.WaitAsync(Math.Max(1, (int)slice.TotalMilliseconds), stop).ConfigureAwait(false))
                return;
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stop)
    {
        var signal = Volatile.Read(ref _wakeSignal).Task;
        if (Volatile.Read(ref _wakeRequested) != 0)
            return;
        await Task.WhenAny(Task.Delay(delay, _time, stop), signal).ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
    }

    private static async ValueTask DiscardAsync(NpgsqlConnection? connection)
    {
        if (connection is null)
            return;
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
        {
            // A broken connection may throw while closing; it is being thrown away either way.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
