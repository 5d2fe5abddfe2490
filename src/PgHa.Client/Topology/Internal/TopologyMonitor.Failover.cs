using System.Diagnostics;

namespace PgHa.Client.Topology.Internal;

internal sealed partial class TopologyMonitor
{
    // Guarded by _gate, like the snapshot they are derived from.
    private NodeEndPoint? _lostPrimary;
    private long _lostPrimarySince;
    private Activity? _failoverSpan;

    /// <summary>
    /// Measures each failover as the application saw it: from the snapshot that lost the primary to the first one
    /// with a writable primary again (the same node back, or a promoted one), as a histogram and a span.
    /// </summary>
    private void TrackFailover(ClusterTopology previous, ClusterTopology next)
    {
        if (previous.Primary is { } lost && next.Primary is null)
        {
            _lostPrimary = lost.EndPoint;
            _lostPrimarySince = _time.GetTimestamp();
            _failoverSpan = _metrics.StartFailoverSpan(lost.EndPoint);
            _failoverSpan?.AddEvent(new ActivityEvent("pgha.primary_lost", tags: new ActivityTagsCollection { ["pgha.cause"] = next.Cause }));
            return;
        }

        if (next.Primary is not { } found)
            return;
        // The primary moved between two snapshots without a gap (a demotion and a promotion seen in one probe).
        var old = _lostPrimary ?? (previous.Primary is { } before && before.EndPoint != found.EndPoint ? before.EndPoint : null);
        if (old is not { } from)
            return;
        var duration = _lostPrimary is null ? TimeSpan.Zero : _time.GetElapsedTime(_lostPrimarySince);
        var promoted = from != found.EndPoint;
        _metrics.FailoverEnded(duration, promoted);
        if (_failoverSpan is { } span)
        {
            span.SetTag("pgha.failover.new_primary", found.EndPoint.ToString());
            span.SetTag("pgha.failover.outcome", promoted ? "promoted" : "recovered");
            span.Dispose();
        }

        _lostPrimary = null;
        _failoverSpan = null;
    }

    /// <summary>A failover still open at disposal ends its span as unfinished.</summary>
    private void EndFailoverSpan()
    {
        lock (_gate)
        {
            if (_failoverSpan is { } span)
            {
                span.SetStatus(ActivityStatusCode.Error, "the data source was disposed before a primary was found");
                span.Dispose();
            }

            _failoverSpan = null;
        }
    }
}
