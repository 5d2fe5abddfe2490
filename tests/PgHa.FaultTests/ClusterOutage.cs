namespace PgHa.FaultTests;

/// <summary>
/// When the cluster stopped acknowledging writes through a fault and when it could again, by <see cref="CommitProbe"/>'s
/// commits: the basis of each fault's time to writable (<see cref="FaultFigures.TimeToWritable"/>).
/// </summary>
/// <remarks>
/// Not the first <see cref="WritableMonitor"/> answer "writable" after the start: that question reaches a cut-off
/// leader over its Unix socket (which is what the split-brain check needs), a leader keeps answering "writable"
/// while etcd is paused until its lease runs out, and a leader being switched over until it shuts down, so after
/// half the fault kinds the first such answer comes at once and measures nothing; in synchronous mode a node that
/// answers "writable" may also be unable to acknowledge a commit. Not the heartbeat either: it writes through the
/// client under test, so a stalled client would delay it too, and the stall rule would compare the client with
/// itself. The probe commits with plain Npgsql over the network, where the application's writes go.
/// <para>
/// An etcd pause costs writes only once the lease runs out, so an outage need not begin at the fault's start: the
/// cluster is writable again at the first probe commit after its longest stretch without one that overlaps the
/// fault window.
/// </para>
/// </remarks>
internal static class ClusterOutage
{
    /// <summary>
    /// A stretch without a probe commit up to this long is not an outage: on the primary the probe commits every
    /// 100 ms or so, and on the loaded 2-core machine one can come a few hundred ms late.
    /// </summary>
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest stretch without a probe commit that overlaps the window, from the last commit before it to the first
    /// after; <see langword="null"/> if none was longer than <see cref="Threshold"/> (the cluster kept acknowledging).
    /// </summary>
    public static Stretch? Longest(IReadOnlyCollection<CommitSample> commits, Stretch window, long observedUntil)
    {
        var acknowledged = commits.Select(c => c.Acknowledged).Order().ToList();
        var stretches = acknowledged.Zip(acknowledged.Skip(1), (a, b) => new Stretch(a, b)).ToList();
        if (acknowledged.Count == 0 || acknowledged[^1] < observedUntil)
            stretches.Add(new Stretch(acknowledged.Count == 0 ? window.From : acknowledged[^1], Math.Max(observedUntil, window.To)));
        var outage = stretches.Where(s => s.Overlaps(window)).DefaultIfEmpty().MaxBy(s => s.Length);
        return outage.Length > Threshold ? outage : null;
    }
}
