using System.Diagnostics;
using PgHa.Agent.Dcs;

namespace PgHa.Agent.Rest;

/// <summary>
/// What <c>/cluster</c>, <c>/history</c> and <c>/config</c> answer from: one etcd read shared by every request within
/// <see cref="Freshness"/>. Read per request, anonymous callers could load etcd at will; answered from the HA loop's
/// view, they would see the cluster as it was up to a cycle ago, or, from an agent that was frozen, as it was before
/// the freeze (a switchover or failover not yet shown). A quarter second bounds both: at most four reads a second
/// whatever the callers do, and an answer never older than that.
/// </summary>
internal sealed class ClusterViewCache(EtcdDcs dcs)
{
    internal static readonly TimeSpan Freshness = TimeSpan.FromMilliseconds(250);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private ClusterView? _view;
    private long _readAt;

    /// <summary>The cluster as etcd showed it at most <see cref="Freshness"/> ago; concurrent callers share one read.</summary>
    /// <exception cref="Dcs.Etcd.EtcdException">etcd did not answer (the REST layer answers 503).</exception>
    public async Task<ClusterView> GetAsync(CancellationToken ct)
    {
        if (Fresh() is { } view)
            return view;
        await _reading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Fresh() is { } shared)
                return shared; // another request read it while this one waited
            var read = await dcs.LoadAsync(ct).ConfigureAwait(false);
            (_view, _readAt) = (read, Stopwatch.GetTimestamp());
            return read;
        }
        finally
        {
            _reading.Release();
        }
    }

    private ClusterView? Fresh() => _view is { } view && Stopwatch.GetElapsedTime(_readAt) < Freshness ? view : null;
}
