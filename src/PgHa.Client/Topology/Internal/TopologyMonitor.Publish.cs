namespace PgHa.Client.Topology.Internal;

internal sealed partial class TopologyMonitor
{
    private readonly System.Threading.Channels.Channel<TopologyChangedEventArgs> _events;
    private readonly List<int> _toEvict = [];
    private readonly List<(int Index, string Reason)> _toRelease = [];
    private bool _primaryJustLost;

    /// <summary>Raised on the monitor's own task after a change of role, health, fencing or primary.</summary>
    public event EventHandler<TopologyChangedEventArgs>? TopologyChanged;

    private void PublishLocked(string cause, DateTimeOffset now)
    {
        var (nodes, primaryIndex) = _composer.Compose(_probed, now);
        var previous = _current;
        var next = new ClusterTopology(nodes, primaryIndex, previous.Version + 1, now, cause);
        Volatile.Write(ref _current, next);
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

        var significant = previous.PrimaryIndex != next.PrimaryIndex;
        for (var i = 0; i < nodes.Length; i++)
        {
            var (before, after) = (previous.NodeSpan[i], nodes[i]);
            var roleChanged = before.Role != NodeRole.Unknown && before.Role != after.Role;
            var wentDown = before.Health != NodeHealth.Down && after.Health == NodeHealth.Down;
            var fenced = !before.IsFenced && after.IsFenced;
            var superseded = previous.PrimaryIndex == i && next.PrimaryIndex >= 0 && next.PrimaryIndex != i;
            if (wentDown || fenced || superseded)
                _toRelease.Add((i, wentDown ? "down" : fenced ? "fenced" : $"superseded by {nodes[next.PrimaryIndex].EndPoint}"));
            else if (roleChanged)
                _toEvict.Add(i);
            if (before.Role != after.Role || before.Health != after.Health || before.IsFenced != after.IsFenced
                || before.IsReadOnly != after.IsReadOnly || before.Timeline != after.Timeline)
            {
                significant = true;
            }

            LogNodeChanges(before, after);
        }

        LogPrimaryChange(previous, next);
        TrackFailover(previous, next);
        if (previous.PrimaryIndex >= 0 && next.PrimaryIndex < 0)
        {
            Interlocked.Exchange(ref _primaryLostAt, _time.GetTimestamp());
            _primaryJustLost = true;
        }

        if (significant)
            _events.Writer.TryWrite(new TopologyChangedEventArgs(previous, next));
    }

    /// <summary>Work that must not run under the lock: clearing pools closes sockets, waking monitors touches their state.</summary>
    private void AfterPublish()
    {
        int[] evict;
        (int Index, string Reason)[] release;
        bool wake;
        lock (_gate)
        {
            evict = [.. _toEvict];
            _toEvict.Clear();
            release = [.. _toRelease];
            _toRelease.Clear();
            wake = _primaryJustLost;
            _primaryJustLost = false;
        }

        foreach (var index in evict)
            _nodes[index].EvictPooledConnections();
        foreach (var (index, reason) in release)
        {
            var released = _nodes[index].ReleaseInFlight();
            if (released > 0)
                LogReleased(_logger, _nodes[index].EndPoint.ToString(), reason, released);
        }

        if (wake)
            WakeAll("no-primary");
    }

    private async Task DispatchEventsAsync()
    {
        await foreach (var change in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                TopologyChanged?.Invoke(this, change);
            }
#pragma warning disable CA1031 // A subscriber's bug must not stop the delivery of later changes.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogHandlerFailed(_logger, ex);
            }
        }
    }
}
