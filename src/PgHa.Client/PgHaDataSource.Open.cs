using Npgsql;
using PgHa.Client.Internal;
using PgHa.Client.Resilience.Internal;
using PgHa.Client.Routing.Internal;
using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;

namespace PgHa.Client;

public sealed partial class PgHaDataSource
{
    /// <summary>Opens a connection on the node <see cref="DefaultRole"/> routes to (normally the primary).</summary>
    public new ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
        => OpenConnectionAsync(DefaultRole, cancellationToken);

    /// <summary>
    /// Opens a connection on a node of the given role. The choice is made from the current snapshot without any
    /// network call; if no node fits (no primary during a failover, first discovery still running) it waits for
    /// the watchdog, up to <see cref="PgHaOptions.NodeWaitTimeout"/>. A pooled connection the server has already
    /// closed is never handed out.
    /// </summary>
    /// <remarks>
    /// While the connection is open, PgHa owns one thing about it: if the watchdog declares its node lost (down,
    /// fenced, superseded by another primary), PgHa shuts its socket down, so a command in flight there fails at once
    /// with Npgsql's usual connection-lost error instead of waiting out its command timeout, and the next one fails
    /// the same way. Dispose it and open another.
    /// </remarks>
    /// <exception cref="PgHaException">No node fit within the wait; the message names each node's state.</exception>
    public ValueTask<NpgsqlConnection> OpenConnectionAsync(TargetRole role, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return OpenRoutedAsync(_requests[(int)role], _options.NodeWaitTimeout, async: true, cancellationToken);
    }

    /// <summary>Opens a connection on the node <see cref="DefaultRole"/> routes to.</summary>
    public new NpgsqlConnection OpenConnection() => OpenConnection(DefaultRole);

    /// <summary>Opens a connection on a node of the given role; see <see cref="OpenConnectionAsync(TargetRole, CancellationToken)"/>.</summary>
    public NpgsqlConnection OpenConnection(TargetRole role)
    {
        ThrowIfDisposed();
        return OpenRoutedAsync(_requests[(int)role], _options.NodeWaitTimeout, async: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>An unopened connection to the node <see cref="DefaultRole"/> routes to now.</summary>
    public new NpgsqlConnection CreateConnection() => CreateConnection(DefaultRole);

    /// <summary>
    /// An unopened connection bound to the node the role routes to now, for code that opens connections itself
    /// (Dapper, ADO.NET). Prefer <see cref="OpenConnectionAsync(TargetRole, CancellationToken)"/>: it routes at open time.
    /// If no node fits now, this waits (blocking) like an open does.
    /// </summary>
    public NpgsqlConnection CreateConnection(TargetRole role)
    {
        ThrowIfDisposed();
        var request = _requests[(int)role];
        var started = _time.GetTimestamp();
        var waiting = default(TopologyMonitor.PrimaryWaiter);
        try
        {
            while (true)
            {
                var topology = _monitor.Current;
                var outcome = NodeSelector.Select(topology, request, _outstanding, NextTicket(), out var index);
                if (outcome == RouteOutcome.Selected)
                {
                    _metrics.Routed(role, topology.NodeSpan[index].Role, failed: false);
                    return _nodes[index].CreateConnection();
                }

                var remaining = _options.NodeWaitTimeout - _time.GetElapsedTime(started);
                if (outcome == RouteOutcome.Fail || remaining <= TimeSpan.Zero)
                    throw NoNodeFits(topology, request, _time.GetElapsedTime(started), lastFailure: null);
                if (NeedsPrimary(role) && !waiting.IsCounted)
                    waiting = _monitor.WaitingForPrimary();
                _monitor.WaitForChangeAsync(topology.Version, remaining, CancellationToken.None).GetAwaiter().GetResult();
            }
        }
        finally
        {
            waiting.Dispose();
        }
    }

    /// <summary>
    /// Routes on the current snapshot and opens there; when nothing fits, waits for the watchdog to publish a
    /// snapshot in which something does. A node that fails to open is reported (the watchdog re-probes it at once)
    /// and routed to again only on a snapshot that accounts for the failure. A new physical connection gives up the moment its node is declared
    /// lost, and a pooled one the server has already closed is discarded, not handed out. With <paramref name="async"/>
    /// false it completes synchronously.
    /// </summary>
    private async ValueTask<NpgsqlConnection> OpenRoutedAsync(RoutingRequest request, TimeSpan maxWait, bool async, CancellationToken cancellationToken)
    {
        var waitStarted = 0L;
        var waiting = default(TopologyMonitor.PrimaryWaiter);
        var openFailure = NodeFailureMark.None;
        Exception? lastFailure = null;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var topology = _monitor.Current;
                var outcome = NodeSelector.Select(topology, request, _outstanding, NextTicket(), out var index);
                if (outcome == RouteOutcome.Selected && (index != openFailure.Index || openFailure.IsAccountedFor(topology)))
                {
                    var node = _nodes[index];
                    // Read before looking at the node again: a loss published after this look cancels it.
                    var loss = node.Loss;
                    if (_monitor.Current.NodeSpan[index].IsLost)
                        continue;
                    var connection = node.CreateConnection();
                    try
                    {
                        if (await NodeConnectionOpener.OpenAsync(node, connection, loss, async, cancellationToken).ConfigureAwait(false))
                        {
                            _metrics.Routed(request.Role, topology.NodeSpan[index].Role, failed: false);
                            return connection;
                        }

                        continue; // closed by the server while pooled, or the node was declared lost meanwhile
                    }
                    catch (Exception ex) when (IsNodeFailure(ex) && !cancellationToken.IsCancellationRequested)
                    {
                        connection.Dispose();
                        (lastFailure, openFailure) = (ex, ReportNodeFailure(node.EndPoint, ex));
                        continue;
                    }
                    catch
                    {
                        connection.Dispose();
                        throw;
                    }
                }

                if (waitStarted == 0)
                {
                    waitStarted = _time.GetTimestamp();
                    if (NeedsPrimary(request.Role))
                        waiting = _monitor.WaitingForPrimary();
                }

                var waited = _time.GetElapsedTime(waitStarted);
                var remaining = maxWait - waited;
                if (outcome == RouteOutcome.Fail || remaining <= TimeSpan.Zero)
                    throw NoNodeFits(topology, request, waited, lastFailure);
                var change = _monitor.WaitForChangeAsync(topology.Version, remaining, cancellationToken);
                if (async)
                    await change.ConfigureAwait(false);
                else
                    change.GetAwaiter().GetResult();
            }
        }
        finally
        {
            waiting.Dispose();
        }
    }

    /// <summary>For units of work: an open that waits at most what is left of their retry budget.</summary>
    internal ValueTask<NpgsqlConnection> OpenForUnitAsync(TargetRole role, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return OpenRoutedAsync(_requests[(int)role], maxWait, async: true, cancellationToken);
    }

    private PgHaException NoNodeFits(Topology.ClusterTopology topology, in RoutingRequest request, TimeSpan waited, Exception? lastFailure)
    {
        _metrics.Routed(request.Role, NodeRole.Unknown, failed: true);
        var message = RoutingExplainer.Explain(topology, request, waited, _time.GetUtcNow());
        var cause = lastFailure ?? FirstNodeError(topology);
        return new PgHaException(message, topology, cause);
    }

    private static Exception? FirstNodeError(Topology.ClusterTopology topology)
    {
        foreach (var node in topology.Nodes)
        {
            if (node.LastException is { } error)
                return error;
        }

        return null;
    }

    private static bool NeedsPrimary(TargetRole role) => role is TargetRole.Primary or TargetRole.PreferReplica or TargetRole.Replica;

    /// <summary>Errors that say the node is gone or unresponsive: reroute. Others (bad password, too many connections, cancellation) surface as they are.</summary>
    private static bool IsNodeFailure(Exception ex) => FailureClassifier.Classify(ex).Node is NodeFailureKind.Unreachable or NodeFailureKind.Timeout;

    private ulong NextTicket() => (ulong)Interlocked.Increment(ref _ticket);
}
