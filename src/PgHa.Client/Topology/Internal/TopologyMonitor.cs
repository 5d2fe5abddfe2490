using Microsoft.Extensions.Logging;
using PgHa.Client.Diagnostics;
using PgHa.Client.Internal;
using PgHa.Client.Resilience.Internal;

namespace PgHa.Client.Topology.Internal;

/// <summary>
/// Owns the cluster's topology: applies each node monitor's probe results, publishes a new immutable snapshot
/// by one atomic swap, wakes waiters by completing a task, evicts pools of nodes whose role or health changed,
/// and raises <see cref="TopologyChanged"/> on its own task, off the probing path.
/// </summary>
internal sealed partial class TopologyMonitor : IAsyncDisposable
{
    // After the primary disappears, probe fast for this long even if nobody is waiting for a primary.
    private static readonly TimeSpan FastProbeWindow = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly ClusterNode[] _nodes;
    private readonly NodeMonitor[] _monitors;
    private readonly NodeDescription[] _probed;
    private readonly TopologyComposer _composer = new();
    private readonly PgHaOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PgHaMetrics _metrics;
    private readonly CancellationTokenSource _stop = new();
    private ClusterTopology _current;
    private TaskCompletionSource _changed = NewSignal();
    private Task[] _running = [];
    private int _primaryWaiters;
    private long _primaryLostAt; // timestamp; 0 = the primary was never lost

    public TopologyMonitor(ClusterNode[] nodes, PgHaOptions options, TimeProvider time, ILogger logger, PgHaMetrics metrics)
    {
        _metrics = metrics;
        _nodes = nodes;
        _options = options;
        _time = time;
        _logger = logger;
        _probed = nodes.Select(n => new NodeDescription { EndPoint = n.EndPoint, Index = n.Index }).ToArray();
        _current = new ClusterTopology((NodeDescription[])_probed.Clone(), -1, 0, time.GetUtcNow(), "start");
        _monitors = nodes.Select(n => new NodeMonitor(n, this, options.ProbeTimeout, time)).ToArray();
        _events = System.Threading.Channels.Channel.CreateUnbounded<TopologyChangedEventArgs>(
            new() { SingleReader = true, SingleWriter = false });
    }

    public ClusterTopology Current => Volatile.Read(ref _current);

    public void Start()
    {
        var tasks = new List<Task>(_monitors.Length + 1);
        foreach (var monitor in _monitors)
            tasks.Add(Task.Run(() => monitor.RunAsync(_stop.Token)));
        tasks.Add(Task.Run(DispatchEventsAsync));
        _running = [.. tasks];
    }

    /// <summary>Completes when a snapshot newer than <paramref name="version"/> is published, or after <paramref name="timeout"/>.</summary>
    public async Task WaitForChangeAsync(long version, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var signal = Volatile.Read(ref _changed).Task;
        if (Current.Version != version || timeout <= TimeSpan.Zero)
            return;
        try
        {
            await signal.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Completes once a snapshot accounts for a request's failure (<see cref="NodeFailureMark.IsAccountedFor"/>), or after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAccountedForAsync(NodeFailureMark failure, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            var topology = Current;
            var remaining = timeout - _time.GetElapsedTime(started);
            if (failure.IsAccountedFor(topology) || remaining <= TimeSpan.Zero)
                return;
            await WaitForChangeAsync(topology.Version, remaining, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Counts requests waiting for a primary: while there are any, every node is probed at the failover pace.</summary>
    public PrimaryWaiter WaitingForPrimary()
    {
        if (Interlocked.Increment(ref _primaryWaiters) == 1)
            WakeAll("no-primary");
        return new PrimaryWaiter(this);
    }

    public TimeSpan ProbeIntervalFor(int index)
    {
        var topology = Current;
        if (topology.NodeSpan[index].HasConfigurationFailure)
            return PgHaDefaults.ConfigurationFailureProbeInterval;
        // A suspect primary is no primary for routing either, so a primary that stops answering also puts
        // the whole cluster on the failover pace until it answers again or a replica is promoted.
        return topology.PrimaryIndex < 0 && IsFailoverPace() ? _options.FailoverProbeInterval : _options.ProbeInterval;
    }

    private bool IsFailoverPace()
        => Volatile.Read(ref _primaryWaiters) > 0
           || (Interlocked.Read(ref _primaryLostAt) is var lostAt && lostAt != 0 && _time.GetElapsedTime(lostAt) < FastProbeWindow)
           || !Current.IsDiscoveryComplete;

    /// <summary>
    /// Something on the request path failed against a node: that is evidence, not a verdict. One backend terminated,
    /// an idle session closed by the server or one dead pooled socket says nothing about the others, so the node is
    /// only probed now; the probe decides whether it is down.
    /// </summary>
    public void ReportFailure(int index, Exception exception)
    {
        var kind = FailureClassifier.Classify(exception).Node;
        if (kind is NodeFailureKind.None or NodeFailureKind.Busy)
            return;
        _monitors[index].Wake(kind == NodeFailureKind.RoleChanged ? "role-changed:25006"
            : exception is Npgsql.PostgresException pg ? $"request-failed:{pg.SqlState}" : "request-failed");
    }

    private void WakeAll(string cause)
    {
        foreach (var monitor in _monitors)
            monitor.Wake(cause);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        EndFailoverSpan();
        _events.Writer.TryComplete();
        // Monitors stop on cancellation; the bound only guards against a driver call that ignores it.
        await Task.WhenAny(Task.WhenAll(_running), Task.Delay(TimeSpan.FromSeconds(5), TimeProvider.System)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Disposing it stops counting the request as waiting for a primary; the default value counts nothing.</summary>
    internal readonly struct PrimaryWaiter(TopologyMonitor? owner) : IDisposable
    {
        public bool IsCounted => owner is not null;

        public void Dispose()
        {
            if (owner is not null)
                Interlocked.Decrement(ref owner._primaryWaiters);
        }
    }
}
